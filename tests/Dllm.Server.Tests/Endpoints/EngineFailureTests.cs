using System.Net;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>A generation that fails is that request's error (500 before the answer started, an error event after); the
/// server keeps serving. Clients get a safe message: never the exception's own text or a stack trace.</summary>
[Collection(ServerCollection.Name)]
public class EngineFailureTests(ServerFixture fixture)
{
    private const string EngineFailed = "the engine failed while generating request";

    private DllmTestServer Server => fixture.Server;

    [Fact]
    public async Task An_engine_failure_before_output_is_a_500_with_the_safe_message()
    {
        var error = await (await Server.Client.PostAsync("/generate", $$$"""{"text": "{{{ScriptedGenerator.FailNow}}}", "rid": "fails-now"}""")).ErrorAsync(HttpStatusCode.InternalServerError);
        var next = await (await Server.Client.PostAsync("/generate", """{"text": "fine", "sampling_params": {"max_new_tokens": 3, "ignore_eos": true}}""")).JsonAsync();

        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("engine_error", error.GetProperty("code").GetString());
        Assert.Equal($"{EngineFailed} fails-now; the server log has the details.", error.GetProperty("message").GetString());
        Assert.Equal(3, next.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task An_unexpected_exception_is_a_500_internal_error_without_its_message()
    {
        var error = await (await Server.Client.PostAsync("/generate", $$$"""{"text": "{{{ScriptedGenerator.CrashNow}}}"}""")).ErrorAsync(HttpStatusCode.InternalServerError);

        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("internal error; the server log has the details.", error.GetProperty("message").GetString());
        Assert.DoesNotContain(ScriptedGenerator.FailureMessage, error.GetRawText());
    }

    [Fact]
    public async Task A_failure_of_one_prompt_of_a_batch_fails_that_request_and_frees_the_others()
    {
        var error = await (await Server.Client.PostAsync("/generate",
            $$$"""{"text": ["a long one", "{{{ScriptedGenerator.FailNow}}}"], "sampling_params": {"max_new_tokens": 1500, "ignore_eos": true}}""")).ErrorAsync(HttpStatusCode.InternalServerError);

        Assert.StartsWith(EngineFailed, error.GetProperty("message").GetString());
        Assert.DoesNotContain(ScriptedGenerator.FailureMessage, error.GetRawText());
        await Server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task A_failure_mid_stream_is_an_error_event_with_the_safe_message_then_done()
    {
        using var response = await Server.Client.PostStreamingAsync("/generate", $$$"""{"text": "{{{ScriptedGenerator.FailLater}}}", "stream": true}""");
        var events = await ServerSentEvents.ReadAllAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, events.Count);
        var first = ServerSentEvents.JsonUntilDone(events)[0];
        Assert.Equal("partial", first.GetProperty("text").GetString());
        var error = ServerSentEvents.JsonUntilDone(events)[1].GetProperty("error");
        Assert.StartsWith(EngineFailed, error.GetProperty("message").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain(ScriptedGenerator.FailureMessage, error.GetRawText());
        Assert.DoesNotContain(" at ", error.GetProperty("message").GetString());
    }
}
