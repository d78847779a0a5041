using Dllm.Decoding;
using Dllm.Testing;
using Dllm.Tests.Infrastructure;

namespace Dllm.Tests.Engine;

public class EngineAlgorithmConfigTests
{
    [Fact]
    public async Task JointThreshold_from_a_yaml_file_runs_with_its_block_size()
    {
        string dir = TestPaths.NewTempDirectory("dllm-yaml");
        try
        {
            string yaml = Path.Combine(dir, "config.yaml");
            File.WriteAllText(yaml, "threshold: 0.9\nedit_threshold: 0.5\nmax_post_edit_steps: 2\npenalty_lambda: 0.5\nblock_size: 16\n");
            await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Peaked, algorithm: "JointThreshold") with
            {
                AlgorithmSettings = new Dictionary<string, double>(), AlgorithmConfigPath = yaml,
            });

            var updates = new List<GenerationUpdate>();
            await foreach (var update in engine.GenerateStreamingAsync(GenerateRequest.FromIds(new int[16], new SamplingParams { MaxNewTokens = 48, IgnoreEos = true })))
                updates.Add(update);

            Assert.Equal("JointThreshold", engine.AlgorithmName);
            Assert.Equal(16, engine.BlockSize);
            Assert.Equal(48, updates[^1].OutputIds.Count);
            Assert.All(updates.SkipLast(1), u => Assert.Equal(16, u.NewIds.Count)); // a 16-token prompt: whole blocks of 16
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_bad_yaml_key_stops_the_engine_from_starting_and_names_key_and_file()
    {
        string dir = TestPaths.NewTempDirectory("dllm-yaml-bad");
        try
        {
            string yaml = Path.Combine(dir, "config.yaml");
            File.WriteAllText(yaml, "threshold: 1.5\n");

            var error = await Assert.ThrowsAsync<ArgumentException>(() => DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with
            {
                AlgorithmSettings = new Dictionary<string, double>(), AlgorithmConfigPath = yaml,
            }));

            Assert.StartsWith("AlgorithmConfigPath: ", error.Message);
            Assert.Contains("threshold", error.Message);
            Assert.Contains(yaml, error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_per_request_threshold_override_commits_more_per_step()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        var strict = new GenerateRequest { Text = "override", Sampling = new SamplingParams { MaxNewTokens = 64, IgnoreEos = true } };
        var loose = strict with { Threshold = 0.0 }; // every proposal of the random model passes: one step per block

        var a = await engine.GenerateAsync(strict);
        var b = await engine.GenerateAsync(loose);

        Assert.Equal(64, a.CompletionTokens);
        Assert.Equal(64, b.CompletionTokens);
        Assert.True(a.DenoisingSteps >= 64, $"strict: {a.DenoisingSteps} steps");
        Assert.InRange(b.DenoisingSteps, 2, 4); // 64 tokens in 2-3 blocks
    }
}
