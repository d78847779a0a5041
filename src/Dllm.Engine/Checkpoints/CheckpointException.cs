namespace Dllm.Checkpoints;

/// <summary>
/// A checkpoint cannot be read or written: a missing or corrupt file, a missing or unexpected tensor, a shape
/// or dtype the caller cannot use. The message names the file and, where one is involved, the tensor.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file and tensor.</param>
    /// <param name="filePath">The file involved, when there is one.</param>
    /// <param name="tensorName">The tensor involved, when there is one.</param>
    /// <param name="innerException">The underlying cause, when there is one.</param>
    public CheckpointException(string message, string? filePath = null, string? tensorName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file involved, or null.</summary>
    public string? FilePath { get; }

    /// <summary>The tensor involved, or null.</summary>
    public string? TensorName { get; }
}
