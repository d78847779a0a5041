namespace Dllm.Model;

/// <summary>A model config (config.json) is missing a field, has an invalid value, or names an unsupported model.</summary>
public sealed class ModelConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ModelConfigException(string message, Exception innerException) : base(message, innerException) { }
}
