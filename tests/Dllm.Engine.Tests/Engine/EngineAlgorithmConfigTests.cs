using Dllm.Decoding;
using Dllm.Testing;
using Dllm.Tests.Infrastructure;

namespace Dllm.Tests.Engine;

public class EngineAlgorithmConfigTests
{
    /// <summary>A JointThreshold engine on <paramref name="model"/> configured by a YAML file <paramref name="name"/>
    /// written in <paramref name="dir"/>.</summary>
    private static DllmEngineOptions JointThresholdFromYaml(string model, string dir, string name, double penaltyLambda, int blockSize)
    {
        string yaml = Path.Combine(dir, name);
        File.WriteAllText(yaml, FormattableString.Invariant(
            $"threshold: 0.9\nedit_threshold: 0.5\nmax_post_edit_steps: 2\npenalty_lambda: {penaltyLambda}\nblock_size: {blockSize}\n"));
        return TestEngines.Options(model, algorithm: "JointThreshold") with { AlgorithmSettings = new Dictionary<string, double>(), AlgorithmConfigPath = yaml };
    }

    [Fact]
    public async Task JointThreshold_from_a_yaml_file_runs_with_its_block_size()
    {
        string dir = TestPaths.NewTempDirectory("dllm-yaml");
        try
        {
            await using var engine = await DllmEngine.CreateAsync(JointThresholdFromYaml(TinyModels.Peaked, dir, "config.yaml", penaltyLambda: 0.5, blockSize: 16));

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

    [Fact]
    public async Task Penalised_requests_in_a_batch_get_the_ids_they_get_alone()
    {
        string dir = TestPaths.NewTempDirectory("dllm-penalty");
        try
        {
            // The engine's JointThreshold makes repeating the previous position's token cost 4 logits: in a batch, every
            // request's previous tokens go to the device in one copy, each row of it a request's.
            var options = JointThresholdFromYaml(TinyModels.Random, dir, "config.yaml", penaltyLambda: 4, blockSize: 32) with { MaxRunningRequests = 4 };
            var sampling = new SamplingParams { MaxNewTokens = 40, IgnoreEos = true };
            var requests = Enumerable.Range(0, 4).Select(i => GenerateRequest.FromText($"penalty prompt {i} " + new string('y', 5 * i), sampling)).ToList();
            await using var engine = await DllmEngine.CreateAsync(options);

            var alone = new List<GenerationResult>();
            foreach (var request in requests)
                alone.Add(await engine.GenerateAsync(request));
            var batch = await engine.GenerateAsync(requests);
            GenerationResult unpenalised;
            await using (var without = await DllmEngine.CreateAsync(JointThresholdFromYaml(TinyModels.Random, dir, "plain.yaml", penaltyLambda: 0, blockSize: 32)))
                unpenalised = await without.GenerateAsync(requests[1]);

            for (int i = 0; i < requests.Count; i++)
                Assert.Equal(alone[i].OutputIds, batch[i].OutputIds);
            Assert.NotEqual(unpenalised.OutputIds, alone[1].OutputIds); // the penalty does change what is generated
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
