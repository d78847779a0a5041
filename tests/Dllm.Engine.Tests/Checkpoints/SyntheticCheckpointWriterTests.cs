using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Tests.Infrastructure;
using TorchSharp;

namespace Dllm.Tests.Checkpoints;

public sealed class SyntheticCheckpointWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SyntheticCheckpointWriterTests() => Torch.EnsureLoaded();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Same_seed_writes_the_same_bytes_and_another_seed_other_weights()
    {
        var first = SyntheticCheckpoints.Write(_dir.File("a"), 150_000, seed: 1);
        var again = SyntheticCheckpoints.Write(_dir.File("b"), 150_000, seed: 1);
        var other = SyntheticCheckpoints.Write(_dir.File("c"), 150_000, seed: 2);

        Assert.Equal(first.Count, again.Count);
        Assert.Equal(first.Count, other.Count);
        for (int i = 0; i < first.Count; i++)
        {
            Assert.Equal(File.ReadAllBytes(first[i]), File.ReadAllBytes(again[i]));
            Assert.NotEqual(File.ReadAllBytes(first[i]), File.ReadAllBytes(other[i]));
        }
        Assert.Equal(File.ReadAllText(_dir.File("a/model.safetensors.index.json")), File.ReadAllText(_dir.File("c/model.safetensors.index.json")));
        Assert.Equal(File.ReadAllText(_dir.File("a/config.json")), File.ReadAllText(_dir.File("c/config.json")));
    }

    [Fact]
    public void Weights_have_the_documented_scales()
    {
        SyntheticCheckpoints.Write(_dir.Path);
        var checkpoint = CheckpointDirectory.Open(_dir.Path);

        var (embedMean, embedStd) = Stats(checkpoint, "model.word_embeddings.weight");
        var (_, downStd) = Stats(checkpoint, "model.layers.0.mlp.down_proj.weight");
        var (normMean, normStd) = Stats(checkpoint, "model.layers.1.input_layernorm.weight");
        var (biasMean, biasStd) = Stats(checkpoint, "model.layers.1.mlp.gate.expert_bias");

        Assert.InRange(embedMean, -0.01, 0.01);
        Assert.InRange(embedStd, 0.02 * Math.Sqrt(2048.0 / 64) * 0.95, 0.02 * Math.Sqrt(2048.0 / 64) * 1.05);
        Assert.InRange(downStd, 0.02 * Math.Sqrt(2048.0 / 96) * 0.9, 0.02 * Math.Sqrt(2048.0 / 96) * 1.1);
        Assert.InRange(normMean, 0.95, 1.05);
        Assert.InRange(normStd, 0.05, 0.15);
        Assert.InRange(biasMean, -0.05, 0.05);
        Assert.InRange(biasStd, 0.02, 0.09);
    }

    [Fact]
    public void Bf16_checkpoint_stores_expert_bias_in_fp32_and_says_bfloat16_in_config()
    {
        var config = LLaDA2Shapes.Tiny(vocabSize: 128, layers: 2);
        SyntheticCheckpointWriter.Write(_dir.Path, config);
        var checkpoint = CheckpointDirectory.Open(_dir.Path);

        Assert.Equal("bfloat16", checkpoint.Config.TorchDtype);
        Assert.Equal("BF16", checkpoint.GetTensorInfo("model.layers.1.mlp.experts.0.gate_proj.weight").DType);
        Assert.Equal("F32", checkpoint.GetTensorInfo("model.layers.1.mlp.gate.expert_bias").DType);
        Assert.Equal(config with { TorchDtype = "bfloat16" }, checkpoint.Config);
    }

    [Fact]
    public void Shards_respect_the_size_limit_and_a_checkpoint_that_fits_is_one_file()
    {
        var shards = SyntheticCheckpoints.Write(_dir.File("sharded"), 120_000);
        var single = SyntheticCheckpoints.Write(_dir.File("single"));

        Assert.Equal(Enumerable.Range(1, shards.Count).Select(i => $"model-{i:D5}-of-{shards.Count:D5}.safetensors"), shards.Select(Path.GetFileName));
        var files = shards.Select(SafetensorsFile.Open).ToList();
        Assert.All(files, f => Assert.True(f.DataBytes <= 120_000 || f.Tensors.Count == 1, f.Path));
        Assert.Equal("model.safetensors", Path.GetFileName(Assert.Single(single)));
        Assert.False(File.Exists(_dir.File("single/model.safetensors.index.json")));
    }

    [Fact]
    public void Existing_weights_are_kept_unless_overwriting_which_removes_stale_shards()
    {
        SyntheticCheckpoints.Write(_dir.Path, 100_000);

        var error = Assert.Throws<CheckpointException>(() => SyntheticCheckpoints.Write(_dir.Path));
        Assert.Contains("already holds checkpoint weights", error.Message);

        SyntheticCheckpointWriter.Write(_dir.Path, SyntheticCheckpoints.TinyConfig, new SyntheticCheckpointOptions { DType = torch.ScalarType.Float32, Overwrite = true });
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Extra_files_hook_runs_after_the_weights_and_progress_counts_every_tensor()
    {
        var reports = new List<CheckpointLoadProgress>();
        string? hookDir = null;
        bool weightsExisted = false;
        var options = new SyntheticCheckpointOptions
        {
            DType = torch.ScalarType.Float32,
            Progress = new Reports(reports),
            WriteExtraFiles = dir =>
            {
                hookDir = dir;
                weightsExisted = File.Exists(Path.Combine(dir, "model.safetensors"));
                File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{}");
            },
        };

        SyntheticCheckpointWriter.Write(_dir.Path, SyntheticCheckpoints.TinyConfig, options);

        var layout = new LLaDA2CheckpointLayout(SyntheticCheckpoints.TinyConfig);
        Assert.Equal(_dir.Path, hookDir);
        Assert.True(weightsExisted);
        Assert.Equal(layout.Tensors.Count, reports.Count);
        Assert.Equal(reports[^1].BytesTotal, reports[^1].BytesDone);
        Assert.Equal(layout.ParameterCount * 4, reports[^1].BytesTotal);
        Assert.True(CheckpointDirectory.Open(_dir.Path).Contains("lm_head.weight"));
    }

    private static (double Mean, double Std) Stats(CheckpointDirectory checkpoint, string name)
    {
        var info = checkpoint.GetTensorInfo(name);
        using var tensor = checkpoint.ReadTensor(name, info.Shape, torch.ScalarType.Float64, torch.CPU);
        using var mean = tensor.mean();
        using var std = tensor.std();
        return (mean.item<double>(), std.item<double>());
    }

    private sealed class Reports(List<CheckpointLoadProgress> list) : IProgress<CheckpointLoadProgress>
    {
        public void Report(CheckpointLoadProgress value) => list.Add(value);
    }
}
