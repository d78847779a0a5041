using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>samples/curl/seed-requests.sh run with the real curl against the test server.</summary>
[Collection(ServerCollection.Name)]
public class SeedScriptTests(ServerFixture fixture)
{
    [Fact]
    public async Task The_seed_curl_script_gets_both_answers()
    {
        if (ExternalProcess.Find("curl") is null || ExternalProcess.Find("bash") is null)
            return; // nothing to run the script with on this machine
        string script = Path.Combine(AppContext.BaseDirectory, "samples", "seed-requests.sh");

        using var run = ExternalProcess.Start("bash", [script, fixture.Server.BaseAddress.ToString().TrimEnd('/')]);
        int exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.True(exit == 0, run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var streamed = lines.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..]).ToList();
        var events = ServerSentEvents.JsonUntilDone(streamed);
        Assert.Equal([0, 1], events.Where(e => e.GetProperty("meta_info").GetProperty("finish_reason").ValueKind != JsonValueKind.Null)
            .Select(e => e.GetProperty("index").GetInt32()).Order());
        var single = JsonDocument.Parse(lines.Last(l => l.StartsWith('{'))).RootElement;
        Assert.Contains(single.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString(), new[] { "stop", "length" });
        Assert.Equal(fixture.Server.Engine.Tokenizer.Encode(SeedRequests.GreatWallPrompt).Length, single.GetProperty("meta_info").GetProperty("prompt_tokens").GetInt32());
    }
}
