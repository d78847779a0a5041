using System.Diagnostics;
using System.Net;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;
using Dllm.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>
/// What a client sees of its request's identity (its own rid in every message, an abort by the rid it sent reaching
/// every prompt of it, the same rid rules on every route) and of a shutdown that starts while its request is still being
/// prepared (refused or drained, never run unseen past the drain).
/// </summary>
[Collection(ServerCollection.Name)]
public class RequestIdentityAndDrainTests
{
    /// <summary>The engine's generator with a Prepare the test can hold after the real one ran (tokenizing a long prompt,
    /// or many, takes as long).</summary>
    private sealed class HeldPrepareGenerator(DllmEngine engine) : IDllmGenerator
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public volatile bool Hold;

        public string ModelName => engine.ModelName;

        public LladaTokenizer Tokenizer => engine.Tokenizer;

        public PreparedRequest Prepare(GenerateRequest request)
        {
            var prepared = engine.Prepare(request);
            if (Hold)
            {
                Entered.Set();
                Release.Wait(TimeSpan.FromSeconds(30));
            }
            return prepared;
        }

        public bool Abort(string requestId, string reason) => engine.Abort(requestId, reason);

        public IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(PreparedRequest request, CancellationToken cancellationToken = default) =>
            engine.GenerateStreamingAsync(request, cancellationToken);
    }

    [Fact]
    public async Task A_request_still_being_prepared_when_the_drain_starts_is_refused_with_a_503_not_run_past_it()
    {
        HeldPrepareGenerator? held = null;
        await using var server = await RandomModelServer.StartAsync(o =>
        {
            o.Generator = e => held = new HeldPrepareGenerator(e);
            o.DrainTimeout = TimeSpan.FromMilliseconds(300);
        });
        held!.Hold = true;
        var pending = server.Client.PostAsync("/generate", RandomModelServer.Long("late-one", stream: false));
        Assert.True(held.Entered.Wait(TimeSpan.FromSeconds(20)));

        var clock = Stopwatch.StartNew();
        var stopping = server.StopAsync();
        await Task.Delay(100); // the drain found nothing registered and went on
        held.Release.Set();
        using var response = await pending.WaitAsync(TimeSpan.FromSeconds(60));
        await stopping.WaitAsync(TimeSpan.FromSeconds(60));

        var error = await response.ErrorAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("the server is shutting down; retry on another instance or after a restart.", error.GetProperty("message").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the stop took {clock.Elapsed.TotalSeconds:F1} s (it used to wait for the whole 1,800-token generation)");
    }

    [Fact]
    public async Task The_drain_lets_an_in_process_chat_client_on_the_shared_engine_finish()
    {
        await using var server = await RandomModelServer.StartAsync(o => o.DrainTimeout = TimeSpan.FromSeconds(20));
        using var client = new Dllm.AI.DllmChatClient(server.Services.GetRequiredService<Dllm.Hosting.DllmEngineProvider>());
        var updates = client.GetStreamingResponseAsync("tell a long story", new ChatOptions { MaxOutputTokens = 96 }).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync());

        var stopping = server.StopAsync();
        ChatFinishReason? finish = null;
        long? outputTokens = null;
        while (await updates.MoveNextAsync())
        {
            finish ??= updates.Current.FinishReason;
            outputTokens ??= updates.Current.Contents.OfType<UsageContent>().FirstOrDefault()?.Details.OutputTokenCount;
        }
        await stopping.WaitAsync(TimeSpan.FromSeconds(60));
        await updates.DisposeAsync();

        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(96, outputTokens);
    }

    [Fact]
    public async Task An_engine_failure_with_api_keys_names_the_clients_rid_not_the_key_scoped_engine_id()
    {
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Peaked) with { ContextLength = 2048 },
            o => { o.ApiKey = "sk-secret"; o.Generator = e => new ScriptedGenerator(e); });

        var error = await (await server.Client.SendWithKeyAsync(HttpMethod.Post, "/generate", "sk-secret",
            $$$"""{"text": "{{{ScriptedGenerator.FailNow}}}", "rid": "mine"}""")).ErrorAsync(HttpStatusCode.InternalServerError);
        using var chat = await server.Client.SendWithKeyAsync(HttpMethod.Post, "/v1/chat/completions", "sk-secret",
            $$$"""{"messages": [{"role": "user", "content": "{{{ScriptedGenerator.FailLater}}}"}], "rid": "chatrid", "stream": true}""");
        var events = ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(chat));

        Assert.Equal("the engine failed while generating request mine; the server log has the details.", error.GetProperty("message").GetString());
        var streamed = Assert.Single(events, e => e.TryGetProperty("error", out _)).GetProperty("error");
        Assert.Equal("the engine failed while generating request chatrid; the server log has the details.", streamed.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Aborting_the_rid_of_a_completions_prompt_list_aborts_every_prompt_of_it()
    {
        await using var server = await RandomModelServer.StartAsync();
        var completion = server.Client.PostAsync("/v1/completions",
            """{"prompt": ["tell a long story", "and another"], "rid": "cb", "max_tokens": 1800, "ignore_eos": true}""");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.Engine.RunningRequests < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the two prompts never ran");
            await Task.Delay(10);
        }
        var taken = await (await server.Client.PostAsync("/v1/completions", """{"prompt": ["x", "y"], "rid": "cb", "max_tokens": 4}""")).ErrorAsync(HttpStatusCode.BadRequest);

        using var abort = await server.Client.PostAsync("/abort_request", """{"rid": "cb"}""");
        var choices = (await (await completion.WaitAsync(TimeSpan.FromSeconds(60))).JsonAsync()).GetProperty("choices").EnumerateArray().ToList();

        Assert.Equal("rid 'cb' is already in use by a running request.", taken.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, abort.StatusCode);
        Assert.Equal(2, choices.Count);
        Assert.All(choices, c => Assert.Equal(("stop", "aborted by /abort_request"), (c.GetProperty("finish_reason").GetString(), c.GetProperty("abort_message").GetString())));
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "rid": "", "max_tokens": 4}""")]
    [InlineData("/v1/completions", """{"prompt": "hi", "rid": "", "max_tokens": 4}""")]
    [InlineData("/generate", """{"text": "hi", "rid": "", "sampling_params": {"max_new_tokens": 4}}""")]
    public async Task An_empty_rid_is_a_400_naming_it_on_every_route(string path, string body)
    {
        await using var server = await RandomModelServer.StartAsync();

        var error = await (await server.Client.PostAsync(path, body)).ErrorAsync(HttpStatusCode.BadRequest);

        Assert.Equal("rid must not be empty.", error.GetProperty("message").GetString());
        Assert.Equal("rid", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_chat_without_max_tokens_whose_messages_leave_no_room_for_a_block_is_a_400_naming_messages()
    {
        await using var server = await RandomModelServer.StartAsync();
        // About 2,032 tokens with the chat template: under the 2,048 context, but not a block under it.
        string content = string.Join(' ', Enumerable.Repeat("count", 2000));

        var error = await (await server.Client.PostAsync("/v1/chat/completions",
            $$"""{"messages": [{"role": "user", "content": "{{content}}"}]}""")).ErrorAsync(HttpStatusCode.BadRequest);

        Assert.Equal("messages", error.GetProperty("param").GetString());
        Assert.Matches(@"^messages: the prompt \(\d+ tokens\) leaves no room for output: generating until the context ends needs a token and one block \(32\) beyond it within the context length \(2048\)\.$", error.GetProperty("message").GetString());
    }
}
