namespace Dllm.Decoding;

/// <summary>
/// A diffusion-algorithm config (the <c>--dllm-algorithm-config</c> YAML file or a per-request override) is
/// unreadable, malformed, names an unknown key, or holds a value of the wrong type or out of range. The message
/// names the source (file path or <c>request</c>) and the key.
/// </summary>
public sealed class AlgorithmConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AlgorithmConfigException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public AlgorithmConfigException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a bad value of <paramref name="key"/>.</summary>
    public AlgorithmConfigException(string message, string key) : base(message) => Key = key;

    /// <summary>The key whose value is at fault (<c>threshold</c>, <c>block_size</c>, ...), when one is.</summary>
    public string? Key { get; }
}
