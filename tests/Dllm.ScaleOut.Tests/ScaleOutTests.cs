using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dllm.Samples.ScaleOut;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;
using Xunit.Abstractions;
using Yarp.ReverseProxy.Model;

namespace Dllm.ScaleOut.Tests;

/// <summary>
/// The sample's YARP proxy (its own appsettings.json, pointed at three replicas on loopback, health checks every
/// 0.5 s): requests spread over the replicas, a conversation stays on one, and when a replica stops mid-run the
/// health check takes it out: new requests go to the living ones and its conversations move, the others' stay.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Cluster = "dllm";
    private readonly List<Replica> _replicas = [];
    private WebApplication? _proxy;
    private HttpClient? _client;

    private HttpClient Client => _client!;

    public async Task InitializeAsync()
    {
        foreach (string name in new[] { "replica-1", "replica-2", "replica-3" })
            _replicas.Add(await Replica.StartAsync(name));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "samples", "ScaleOut", "appsettings.json"));
        var overrides = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            [$"ReverseProxy:Clusters:{Cluster}:HealthCheck:Active:Interval"] = "00:00:00.5",
            [$"ReverseProxy:Clusters:{Cluster}:HealthCheck:Active:Timeout"] = "00:00:05",
            [$"ReverseProxy:Clusters:{Cluster}:Metadata:ConsecutiveFailuresHealthPolicy.Threshold"] = "1",
        };
        foreach (var replica in _replicas)
            overrides[$"ReverseProxy:Clusters:{Cluster}:Destinations:{replica.Name}:Address"] = replica.Address.ToString();
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Services.AddDllmScaleOut(builder.Configuration);
        _proxy = builder.Build();
        _proxy.MapReverseProxy();
        await _proxy.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_proxy.Urls.Single()), Timeout = TimeSpan.FromMinutes(1) };
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.StopAsync();
            await _proxy.DisposeAsync();
        }
        foreach (var replica in _replicas)
            await replica.DisposeAsync();
    }

    /// <summary>One short completion through the proxy: the status and the replica that answered (null on failure).</summary>
    private async Task<(HttpStatusCode Status, string? Replica)> CompleteAsync(string? conversation = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = "any", prompt = "Hello", max_tokens = 2 }),
        };
        if (conversation is not null)
            request.Headers.Add(ConversationAffinityPolicy.HeaderName, conversation);
        using var response = await Client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
            return (response.StatusCode, null);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.GetProperty("model").GetString());
    }

    private DestinationHealth Health(string replica)
    {
        var lookup = _proxy!.Services.GetRequiredService<IProxyStateLookup>();
        Assert.True(lookup.TryGetCluster(Cluster, out var cluster));
        return cluster.Destinations[replica].Health.Active;
    }

    private async Task WaitForHealthAsync(string replica, DestinationHealth expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Health(replica) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{replica} is {Health(replica)}, not {expected}, after 30 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Requests_spread_a_conversation_sticks_and_a_stopped_replica_is_taken_out()
    {
        foreach (var replica in _replicas)
            await WaitForHealthAsync(replica.Name, DestinationHealth.Healthy);

        // Spread: without a conversation the less busy of two random replicas; 30 requests reach all three.
        var spread = new List<string?>();
        for (int i = 0; i < 30; i++)
            spread.Add(Assert.IsType<string>((await CompleteAsync()).Replica));
        Assert.Equal(_replicas.Select(r => r.Name).Order(), spread.Distinct().Order());

        // Affinity: each conversation's turns all land on one replica.
        string[] conversations = [.. Enumerable.Range(0, 12).Select(i => $"conversation-{i}")];
        var home = new Dictionary<string, string>();
        foreach (string conversation in conversations)
        {
            var turns = new List<string?>();
            for (int turn = 0; turn < 3; turn++)
                turns.Add((await CompleteAsync(conversation)).Replica);
            home[conversation] = Assert.Single(turns.Distinct())!;
        }
        Assert.True(home.Values.Distinct().Count() >= 2, "twelve conversations all hashed to one replica");

        // Stop the replica of conversation-0 while requests keep coming.
        var victim = _replicas.Single(r => r.Name == home["conversation-0"]);
        using var load = new CancellationTokenSource();
        var during = Task.Run(async () =>
        {
            var statuses = new List<HttpStatusCode>();
            while (!load.IsCancellationRequested && statuses.Count < 2000)
                statuses.Add((await CompleteAsync()).Status);
            return statuses;
        });
        await Task.Delay(200);
        await victim.StopAsync();
        await WaitForHealthAsync(victim.Name, DestinationHealth.Unhealthy);
        await load.CancelAsync();
        var duringStop = await during;
        Assert.Contains(HttpStatusCode.OK, duringStop);
        // Requests caught by the stop itself (503 while it drained, 502 once its port closed, until the next check).
        output.WriteLine($"while {victim.Name} stopped: {string.Join(", ", duringStop.GroupBy(s => s).Select(g => $"{g.Count()} x {(int)g.Key}"))}");

        // After the health check took it out: every new request succeeds, on the living replicas only.
        var after = new List<(HttpStatusCode Status, string? Replica)>();
        for (int i = 0; i < 20; i++)
            after.Add(await CompleteAsync());
        Assert.All(after, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.DoesNotContain(victim.Name, after.Select(a => a.Replica));
        Assert.Equal(_replicas.Where(r => r != victim).Select(r => r.Name).Order(), after.Select(a => a.Replica!).Distinct().Order());

        // The victim's conversations moved, each to one living replica; the others stayed where they were.
        foreach (string conversation in conversations)
        {
            var turns = new List<string?>();
            for (int turn = 0; turn < 2; turn++)
                turns.Add((await CompleteAsync(conversation)).Replica);
            string now = Assert.Single(turns.Distinct())!;
            if (home[conversation] == victim.Name)
                Assert.NotEqual(victim.Name, now);
            else
                Assert.Equal(home[conversation], now);
        }
    }
}
