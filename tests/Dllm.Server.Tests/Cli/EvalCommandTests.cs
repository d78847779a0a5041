namespace Dllm.Server.Tests.Cli;

/// <summary><c>dllm eval</c> with a checkpoint it cannot use: one line naming the flag and the problem, exit code 2, no
/// stack trace.</summary>
public sealed class EvalCommandTests
{
    [Fact]
    public async Task A_missing_checkpoint_directory_is_named_without_a_stack_trace()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"dllm-eval-missing-{Guid.NewGuid():N}");
        var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, new Dictionary<string, string?>(), "eval", "--model-path", missing, "--device", "cpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"dllm eval: --model-path {missing}: no such directory", result.StandardError);
        Assert.DoesNotContain("   at ", result.All);
    }

    [Fact]
    public async Task A_directory_without_a_checkpoint_is_named_without_a_stack_trace()
    {
        string empty = Directory.CreateTempSubdirectory("dllm-eval-empty-").FullName;
        try
        {
            var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, new Dictionary<string, string?>(), "eval", "--model-path", empty, "--device", "cpu");
            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"dllm eval: --model-path {empty}: ", result.StandardError);
            Assert.Contains("not found", result.StandardError);
            Assert.DoesNotContain("   at ", result.All);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
