using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Runner;
using Dllm.Tests.Infrastructure;
using Dllm.Tests.Reference;
using TorchSharp;

namespace Dllm.Tests.Model;

/// <summary>The model loaded from safetensors on disk agrees with the float64 reference reading the same files.</summary>
public class CheckpointModelTests
{
    [Theory]
    [InlineData(torch.ScalarType.Float32, 100_000)]      // sharded: many small shards + index
    [InlineData(torch.ScalarType.BFloat16, 5_000_000_000)] // one file, bf16 converted to fp32 on load
    public void Model_loaded_from_a_synthetic_checkpoint_matches_the_reference(torch.ScalarType stored, long maxShardBytes)
    {
        Torch.EnsureLoaded();
        string dir = TestPaths.NewTempDirectory("dllm-ckpt-model");
        try
        {
            var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 2) with { MaxPositionEmbeddings = 128 };
            SyntheticCheckpointWriter.Write(dir, config, new SyntheticCheckpointOptions { Seed = 5, DType = stored, MaxShardBytes = maxShardBytes });
            bool sharded = File.Exists(Path.Combine(dir, "model.safetensors.index.json"));
            Assert.Equal(maxShardBytes < 1_000_000, sharded);

            using var model = ModelLoader.Load(dir, LoadFormat.Safetensors, torch.ScalarType.Float32, torch.CPU);
            var weights = ReferenceWeights.LoadSafetensors(dir);
            using var cache = model.CreateCache(1, 64);
            int[] tokens = [3, 14, 15, 9, 26, 53, 58, 9, 7, 9, 32, 38, 46, 26, 43, 38, 32, 7, 9];

            using var logits = model.RunForward([new ForwardRequest(0, 0, tokens)], cache, 8, writeCache: false)!;

            ModelAssert.Close(logits[0], ReferenceLLaDA2.Forward(model.Config, weights, tokens, 8));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_unexpected_tensor_in_the_checkpoint_is_named()
    {
        Torch.EnsureLoaded();
        string dir = TestPaths.NewTempDirectory("dllm-ckpt-extra");
        try
        {
            var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 2) with { TieWordEmbeddings = true };
            var weights = ReferenceWeights.Random(config, 3);
            weights.Set("lm_head.weight", new double[64 * 64], 64, 64); // tied models have no lm_head
            weights.SaveSafetensors(dir);
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());

            var error = Assert.Throws<CheckpointException>(() => ModelLoader.Load(dir, LoadFormat.Safetensors, torch.ScalarType.Float32, torch.CPU));

            Assert.Contains("lm_head.weight", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Dummy_load_reads_config_json_only()
    {
        Torch.EnsureLoaded();
        string dir = TestPaths.NewTempDirectory("dllm-dummy");
        try
        {
            var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 2);
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());

            using var model = ModelLoader.Load(dir, LoadFormat.Dummy, torch.ScalarType.Float32, torch.CPU);
            using var cache = model.CreateCache(1, 32);
            using var logits = model.RunForward([new ForwardRequest(0, 0, [1, 2, 3])], cache, 8, writeCache: false)!;

            Assert.Equal([1L, 3, 64], logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
