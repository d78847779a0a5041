using System.Diagnostics;
using System.Net;
using System.Collections.Concurrent;
using System.Text;
using Dllm.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>
/// A bounded, seeded fuzz of <c>/generate</c> and <c>/v1/chat/completions</c>: a few hundred random mutations of
/// valid bodies (values swapped for edge cases, fields removed or added, types changed, bytes broken), sent by a few
/// concurrent clients for at most a minute while a canary request runs in a loop beside them. Whatever the body,
/// the server answers below 500, no body carries a stack trace, the canary always completes with its output, and
/// afterwards no request is left in the engine or the server and every K/V slot is free.
/// </summary>
[Collection(ServerCollection.Name)]
public class FuzzTests(ServerFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 20261202;
    private const int Mutations = 400;
    private const int Clients = 3;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(45);
    private const string Canary = """{"text": "canary", "sampling_params": {"max_new_tokens": 12}}""";

    private readonly ConcurrentDictionary<int, int> _statuses = new();

    private DllmTestServer Server => fixture.Server;

    [Fact]
    public async Task Random_mutations_never_give_a_5xx_or_a_stack_trace_and_leak_nothing()
    {
        string expectedCanary = await CanaryTextAsync();
        var clock = Stopwatch.StartNew();
        var mutator = new JsonBodyMutator(new Random(Seed));
        var cases = Enumerable.Range(0, Mutations).Select(i => mutator.Next(i)).ToList();
        int next = -1, sent = 0;
        var failures = new List<string>();
        using var stop = new CancellationTokenSource();

        var canary = Task.Run(async () =>
        {
            int runs = 0;
            while (!stop.IsCancellationRequested || runs == 0)
            {
                string text = await CanaryTextAsync();
                Assert.True(text == expectedCanary, $"canary run {runs} gave '{text}', alone it gives '{expectedCanary}'");
                runs++;
            }
            return runs;
        });
        var clients = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases.Count && clock.Elapsed < Budget)
            {
                var (path, body) = cases[i];
                string? problem = await SendAsync(path, body);
                Interlocked.Increment(ref sent);
                if (problem is not null)
                {
                    lock (failures)
                        failures.Add($"case {i} {path} {Shorten(Encoding.UTF8.GetString(body))}: {problem}");
                }
            }
        })).ToList();
        await Task.WhenAll(clients);
        stop.Cancel();
        int canaryRuns = await canary;

        output.WriteLine($"{sent} mutations in {clock.Elapsed.TotalSeconds:F1} s, {canaryRuns} canary runs; statuses: {string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"))}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        // The mutations reach both the generation (200) and the validation (4xx) paths.
        Assert.True(_statuses.GetValueOrDefault(200) >= 10, "fewer than 10 mutated bodies generated");
        Assert.True(_statuses.Where(s => s.Key is >= 400 and < 500).Sum(s => s.Value) >= 50, "fewer than 50 mutated bodies were refused");
        Assert.True(sent >= 100, $"only {sent} mutations were sent within {Budget.TotalSeconds} s");
        Assert.True(canaryRuns >= 1);
        await Server.WaitUntilIdleAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, Server.Tracker.Count);
        Assert.Equal(Server.Engine.MaxRunningRequests, Server.Engine.FreeSlots);
    }

    [Fact]
    public void The_mutator_is_seeded_and_varied()
    {
        var first = Enumerable.Range(0, 50).Select(i => new JsonBodyMutator(new Random(Seed)).Next(i)).ToList();
        var again = Enumerable.Range(0, 50).Select(i => new JsonBodyMutator(new Random(Seed)).Next(i)).ToList();
        Assert.Equal(first.Select(c => Convert.ToBase64String(c.Body)), again.Select(c => Convert.ToBase64String(c.Body)));
        var mutator = new JsonBodyMutator(new Random(Seed));
        var bodies = Enumerable.Range(0, 200).Select(i => Convert.ToBase64String(mutator.Next(i).Body)).ToHashSet();
        Assert.True(bodies.Count > 150, $"only {bodies.Count} distinct bodies in 200");
    }

    private async Task<string> CanaryTextAsync()
    {
        using var response = await Server.Client.PostAsync("/generate", Canary);
        var json = await response.JsonAsync();
        Assert.Equal("length", json.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
        return json.GetProperty("text").GetString()!;
    }

    /// <summary>Sends one body; null when the answer is acceptable, else what is wrong with it.</summary>
    private async Task<string?> SendAsync(string path, byte[] body)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await Server.Client.PostAsync(path, content, timeout.Token);
            string text = await response.Content.ReadAsStringAsync(timeout.Token);
            _statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if ((int)response.StatusCode >= 500)
                return $"status {(int)response.StatusCode}: {Shorten(text)}";
            bool generated = response.StatusCode == HttpStatusCode.OK && !text.Contains("\"error\":", StringComparison.Ordinal)
                && !text.Contains("\"type\":\"abort\"", StringComparison.Ordinal);
            if (StackTraceMarker(text, generated) is string marker)
                return $"status {(int)response.StatusCode}, body has '{marker}': {Shorten(text)}";
            return null;
        }
        catch (OperationCanceledException)
        {
            return "no answer within 30 s";
        }
    }

    /// <summary>A sign of a stack trace or a server path: any of them in an error; in generated text only unambiguous ones.</summary>
    private static string? StackTraceMarker(string body, bool generated)
    {
        string[] always = ["   at Dllm.", "   at System.", "   at TorchSharp.", ".cs:line ", "/work/", "/tmp/"];
        string[] inErrors = ["   at ", "Exception", "TorchSharp", "libtorch", "c10::"];
        return always.Concat(generated ? [] : inErrors).FirstOrDefault(m => body.Contains(m, StringComparison.Ordinal));
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
