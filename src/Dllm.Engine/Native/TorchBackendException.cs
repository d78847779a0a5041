namespace Dllm.Native;

/// <summary>The native backend could not be loaded; the message says which library failed, why, and what to do.</summary>
public sealed class TorchBackendException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchBackendException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public TorchBackendException(string message, Exception innerException) : base(message, innerException) { }
}
