using Dllm.Checkpoints;
using Dllm.Model;
using TorchSharp;

namespace Dllm.Testing;

/// <summary>
/// A checkpoint of 1.1 GB (bf16 zeros, ~3,500 tensors of at most 160 MB, the tiny random model's tokenizer) written to
/// a temp directory for a test class's load tests (an xunit class fixture) and deleted after: large enough that a load
/// takes seconds, so a cancellation during it can be timed, and quick to write (zeros, no random weights).
/// </summary>
public sealed class LargeCheckpoint : IDisposable
{
    public LargeCheckpoint()
    {
        string tokenizerSource = TinyModels.Random; // also initializes the backend
        Directory = Path.Combine(Path.GetTempPath(), $"dllm-large-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        foreach (string file in System.IO.Directory.EnumerateFiles(tokenizerSource, "tokenizer*"))
            File.Copy(file, Path.Combine(Directory, Path.GetFileName(file)));
        var config = LLaDA2Shapes.Tiny(layers: 11) with
        {
            HiddenSize = 512, NumAttentionHeads = 8, NumKeyValueHeads = 2, HeadDim = 64,
            IntermediateSize = 2048, MoeIntermediateSize = 1024, NumExperts = 32, TorchDtype = "bfloat16",
        };
        File.WriteAllText(Path.Combine(Directory, "config.json"), config.ToJson());
        var entries = new LLaDA2CheckpointLayout(config).Tensors
            .Select(t => new SafetensorsEntry(t.Name, t.Shape, t.Name.EndsWith(".expert_bias", StringComparison.Ordinal) ? torch.ScalarType.Float32 : torch.ScalarType.BFloat16))
            .ToList();
        using (var writer = new SafetensorsWriter(Path.Combine(Directory, "model.safetensors"), entries))
        {
            foreach (var entry in entries)
            {
                using var zeros = torch.zeros(entry.Shape, entry.DType);
                writer.Write(entry.Name, zeros);
            }
            writer.Complete();
        }
        Bytes = new FileInfo(Path.Combine(Directory, "model.safetensors")).Length;
    }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

    /// <summary>Bytes of its weights file.</summary>
    public long Bytes { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
