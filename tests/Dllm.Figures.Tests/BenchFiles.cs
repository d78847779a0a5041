namespace Dllm.Figures.Tests;

/// <summary>The bench JSON files one test writes, in a folder of its own that is deleted with it.</summary>
public abstract class BenchFiles : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dllm-figures-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Creates the folder.</summary>
    protected BenchFiles() => Directory.CreateDirectory(_folder);

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> in the folder and gives its path.</summary>
    protected string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A path in the folder, for an output.</summary>
    protected string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>The width and height a PNG file's header gives.</summary>
    protected static (int Width, int Height) PngSize(string path)
    {
        byte[] header = File.ReadAllBytes(path)[..24];
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], header[..4]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(header, 12, 4));
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20)));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
