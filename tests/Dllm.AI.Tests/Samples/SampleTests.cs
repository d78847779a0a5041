using Dllm.Samples.Agent;
using Dllm.Samples.ChatClient;
using Dllm.Samples.OfflineEngine;
using Dllm.Samples.SemanticKernel;
using Dllm.Testing;

namespace Dllm.AI.Tests.Samples;

/// <summary>Each sample's entry method, run against the tiny model with a few tokens.</summary>
[Collection(SampleCollection.Name)]
public sealed class SampleTests
{
    private static async Task<string[]> RunAsync(Func<string[], TextWriter, CancellationToken, Task<int>> sample, params string[] args)
    {
        using var output = new StringWriter();
        int exitCode = await sample(args, output, CancellationToken.None);
        Assert.Equal(0, exitCode);
        return output.ToString().Split(Environment.NewLine);
    }

    private static string[] Tiny(int maxNewTokens) => ["--model-path", TinyModels.Random, "--max-new-tokens", maxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    [Fact]
    public async Task OfflineEngine_generates_for_the_seed_prompt()
    {
        var lines = await RunAsync(OfflineEngineSample.RunAsync, Tiny(12));

        Assert.Equal("Prompt: <role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>", lines[0]);
        Assert.StartsWith("Output: ", lines[1]);
        Assert.Single(lines, l => l.StartsWith("Finish reason: length; 12 tokens in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OfflineEngine_without_a_model_path_writes_and_announces_the_demo_model()
    {
        var lines = await RunAsync(OfflineEngineSample.RunAsync, "--max-new-tokens", "4");

        // The one built-in demo model of the engine package, the one `dllm serve` serves.
        Assert.Equal($"No --model-path given: using Dllm's built-in DEMO model at {DemoModel.Directory} (a small model trained by dllm train: it counts and calls its demo tools, not LLaDA2.0-mini).", lines[0]);
        Assert.True(DemoModel.IsDemoModel(DemoModel.Directory));
        Assert.Single(lines, l => l.StartsWith("Finish reason: length; 4 tokens in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChatClient_streams_an_answer_and_reports_usage()
    {
        var lines = await RunAsync(ChatClientSample.RunAsync, Tiny(10));

        Assert.StartsWith("Assistant: ", lines[0]);
        Assert.Single(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Finish reason: length; \d+ streamed blocks; tokens: \d+ in, 10 out$"));
        Assert.Equal("Model: tiny-random-v2; history now has 3 messages", lines[^2]);
    }

    [Fact]
    public async Task SemanticKernel_answers_a_prompt_and_runs_a_prompt_function()
    {
        var lines = await RunAsync(SemanticKernelSample.RunAsync, Tiny(6));

        Assert.StartsWith("Answer: ", lines[0]);
        Assert.True(lines[0].Length > "Answer: ".Length);
        Assert.Single(lines, l => l.StartsWith("Summary: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agent_answers_two_turns_of_one_session()
    {
        var lines = await RunAsync(AgentSample.RunAsync, Tiny(6));

        Assert.Equal("User: What is the weather in Beijing?", lines[0]);
        Assert.StartsWith("TravelAgent: ", lines[1]);
        Assert.Single(lines, l => l == "User: Should I visit the Great Wall today?");
        Assert.Equal(2, lines.Count(l => l.StartsWith("TravelAgent: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_bad_option_is_reported_by_name()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => RunAsync(AgentSample.RunAsync, "--max-new-tokens", "many"));

        Assert.Contains("--max-new-tokens", error.Message);
    }
}

/// <summary>The sample tests run one at a time: each loads its own engine.</summary>
[CollectionDefinition(Name)]
public sealed class SampleCollection
{
    public const string Name = "samples";
}
