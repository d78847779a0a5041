namespace Dllm.Tokenization;

/// <summary>A tokenizer file is missing, is not valid JSON, describes an unsupported tokenizer, or lacks a required token.</summary>
public sealed class TokenizerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TokenizerException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public TokenizerException(string message, Exception innerException) : base(message, innerException) { }
}
