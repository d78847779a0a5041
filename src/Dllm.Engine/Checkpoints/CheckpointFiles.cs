using Microsoft.Win32.SafeHandles;

namespace Dllm.Checkpoints;

/// <summary>File access for checkpoints: opening with clear errors and positional reads that fill a span.</summary>
internal static class CheckpointFiles
{
    /// <summary>The model config of an HF model directory.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The weights of a single-file checkpoint.</summary>
    public const string SingleWeightsFile = "model.safetensors";

    /// <summary>The index of a sharded checkpoint.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The HF name of shard <paramref name="number"/> (1-based) of <paramref name="count"/>.</summary>
    public static string ShardFileName(int number, int count) => $"model-{number:D5}-of-{count:D5}.safetensors";

    /// <summary>Opens a file for reading.</summary>
    /// <exception cref="CheckpointException">It is missing or unreadable.</exception>
    public static SafeFileHandle OpenRead(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string problem = e is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : e.Message;
            throw new CheckpointException($"{path}: cannot open: {problem}", path, innerException: e);
        }
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; the end of the file is an error.</summary>
    /// <exception cref="CheckpointException">The file ends first, or the read fails.</exception>
    public static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset, string path, string? tensorName)
    {
        string what = tensorName is null ? "" : $" tensor '{tensorName}':";
        while (!destination.IsEmpty)
        {
            int read;
            try
            {
                read = RandomAccess.Read(handle, destination, offset);
            }
            catch (IOException e)
            {
                throw new CheckpointException($"{path}:{what} read failed at byte {offset}: {e.Message}", path, tensorName, e);
            }
            if (read == 0)
                throw new CheckpointException($"{path}:{what} the file is truncated: it ends at byte {offset}, {destination.Length} bytes short.", path, tensorName);
            destination = destination[read..];
            offset += read;
        }
    }
}
