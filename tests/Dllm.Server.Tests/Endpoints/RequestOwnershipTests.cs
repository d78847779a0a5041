using System.Net;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>
/// With several API keys each key is a client of its own: its rids are its own, <c>/abort_request</c> reaches only its
/// requests, and the admin key reaches every request. Responses show the client's rid.
/// </summary>
[Collection(ServerCollection.Name)]
public class RequestOwnershipTests(RequestOwnershipTests.KeysServer fixture) : IClassFixture<RequestOwnershipTests.KeysServer>
{
    private const string KeyA = "sk-alice";
    private const string KeyB = "sk-bob";
    private const string Admin = "sk-admin";

    /// <summary>The random model (long requests run for seconds) with the keys of Alice and Bob (one of them the single <c>ApiKey</c>) and an admin key.</summary>
    public sealed class KeysServer : IAsyncLifetime
    {
        internal DllmTestServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await RandomModelServer.StartAsync(o =>
        {
            o.ApiKey = KeyA;
            o.ApiKeys.Add(KeyB);
            o.AdminApiKey = Admin;
        });

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    private DllmTestServer Server => fixture.Server;

    private Task<HttpResponseMessage> Long(string key, string rid) =>
        Server.Client.SendWithKeyAsync(HttpMethod.Post, "/generate", key, RandomModelServer.Long(rid, stream: false));

    private Task<HttpResponseMessage> AbortAsync(string key, string body) =>
        Server.Client.SendWithKeyAsync(HttpMethod.Post, "/abort_request", key, body);

    private async Task WaitForTrackedAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Server.Tracker.Count != count || Server.Engine.RunningRequests < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} running requests, {Server.Tracker.Count} tracked");
            await Task.Delay(10);
        }
    }

    private static async Task<(string Id, string Finish)> OutcomeAsync(Task<HttpResponseMessage> response)
    {
        var meta = (await (await response).JsonAsync()).GetProperty("meta_info");
        return (meta.GetProperty("id").GetString()!, meta.GetProperty("finish_reason").GetProperty("type").GetString()!);
    }

    [Fact]
    public async Task Two_keys_use_the_same_rid_and_each_aborts_only_its_own_requests()
    {
        var alice = Long(KeyA, "same");
        var bob = Long(KeyB, "same");
        await WaitForTrackedAsync(2);
        var aliceAgain = await Server.Client.SendWithKeyAsync(HttpMethod.Post, "/generate", KeyA, """{"text": "x", "rid": "same"}""");

        Assert.Equal(HttpStatusCode.OK, (await AbortAsync(KeyB, """{"rid": "same"}""")).StatusCode);
        var bobOutcome = await OutcomeAsync(bob);
        bool aliceRunsAfterBobsAbort = !alice.IsCompleted;
        Assert.Equal(HttpStatusCode.OK, (await AbortAsync(KeyB, """{"abort_all": true}""")).StatusCode);
        await Task.Delay(200);
        bool aliceRunsAfterBobsAbortAll = !alice.IsCompleted && Server.Tracker.Count == 1;
        await AbortAsync(KeyA, """{"abort_all": true}""");
        var aliceOutcome = await OutcomeAsync(alice);

        Assert.Equal("rid", (await aliceAgain.ErrorAsync(HttpStatusCode.BadRequest)).GetProperty("param").GetString());
        Assert.Equal(("same", "abort"), bobOutcome);
        Assert.True(aliceRunsAfterBobsAbort);
        Assert.True(aliceRunsAfterBobsAbortAll);
        Assert.Equal(("same", "abort"), aliceOutcome);
        await Server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task The_admin_key_aborts_any_clients_request()
    {
        var alice = Long(KeyA, "alice-1");
        var bob = Long(KeyB, "bob-1");
        await WaitForTrackedAsync(2);

        await AbortAsync(Admin, """{"rid": "alice-1"}""");
        var aliceOutcome = await OutcomeAsync(alice);
        bool bobRuns = !bob.IsCompleted;
        await AbortAsync(Admin, """{"abort_all": true}""");
        var bobOutcome = await OutcomeAsync(bob);

        Assert.Equal(("alice-1", "abort"), aliceOutcome);
        Assert.True(bobRuns);
        Assert.Equal(("bob-1", "abort"), bobOutcome);
        await Server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task Openai_ids_show_the_clients_rid()
    {
        var chat = await (await Server.Client.SendWithKeyAsync(HttpMethod.Post, "/v1/chat/completions", KeyB,
            """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1, "rid": "mine"}""")).JsonAsync();
        var completion = await (await Server.Client.SendWithKeyAsync(HttpMethod.Post, "/v1/completions", Admin,
            """{"prompt": "hi", "max_tokens": 1, "rid": "mine"}""")).JsonAsync();
        var generate = await (await Server.Client.SendWithKeyAsync(HttpMethod.Post, "/generate", KeyA,
            """{"text": ["a", "b"], "rid": ["mine-0", "mine-1"], "sampling_params": {"max_new_tokens": 1}}""")).JsonAsync();

        Assert.Equal("chatcmpl-mine", chat.GetProperty("id").GetString());
        Assert.Equal("cmpl-mine", completion.GetProperty("id").GetString());
        Assert.Equal(["mine-0", "mine-1"], generate.EnumerateArray().Select(g => g.GetProperty("meta_info").GetProperty("id").GetString()));
    }
}
