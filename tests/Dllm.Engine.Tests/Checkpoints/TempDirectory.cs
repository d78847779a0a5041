using Dllm.Tests.Infrastructure;

namespace Dllm.Tests.Checkpoints;

/// <summary>A fresh temp directory, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "dllm-ckpt") => Path = TestPaths.NewTempDirectory(prefix);

    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
