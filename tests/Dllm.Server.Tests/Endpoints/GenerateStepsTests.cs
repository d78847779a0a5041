using System.Text.Json;
using System.Text.Json.Nodes;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Endpoints;

[Collection(ServerCollection.Name)]
public class GenerateStepsTests(ServerFixture fixture)
{
    private const string Prompt = "Show me the denoising steps";

    private DllmTestServer Server => fixture.Server;

    private static string Body(string rid, string extra) =>
        $$$"""{"text": "{{{Prompt}}}", "rid": "{{{rid}}}", "stream": true{{{extra}}}, "sampling_params": {"max_new_tokens": 70, "ignore_eos": true, "sampling_seed": 3, "temperature": 0.7}}""";

    private async Task<List<string>> EventsAsync(string body)
    {
        using var response = await Server.Client.PostStreamingAsync("/generate", body);
        return await ServerSentEvents.ReadAllAsync(response);
    }

    /// <summary>An event as JSON text without its timing (e2e_latency differs from run to run) and, optionally, its steps.</summary>
    private static string WithoutTiming(string data, bool dropSteps = false)
    {
        if (data == "[DONE]")
            return data;
        var node = JsonNode.Parse(data)!;
        var meta = node["meta_info"]!.AsObject();
        Assert.True(meta.Remove("e2e_latency"));
        if (dropSteps)
            Assert.True(meta.Remove("steps"));
        return node.ToJsonString();
    }

    private static DenoisingStep Step(JsonElement step) => new()
    {
        Step = step.GetProperty("step").GetInt32(),
        Committed = Tokens(step.GetProperty("committed")),
        Edited = step.TryGetProperty("edited", out var edited) ? Tokens(edited) : [],
        MasksLeft = step.GetProperty("masks_left").GetInt32(),
    };

    private static List<StepToken> Tokens(JsonElement tokens) => [.. tokens.EnumerateArray().Select(t => new StepToken(
        t.GetProperty("pos").GetInt32(), t.GetProperty("id").GetInt32(), t.GetProperty("text").GetString()!, (float)t.GetProperty("p").GetDouble()))];

    [Fact]
    public async Task Streamed_steps_replay_to_the_final_output_ids_over_real_http()
    {
        var events = ServerSentEvents.JsonUntilDone(await EventsAsync(Body("steps-replay", ", \"return_steps\": true")));

        var last = events[^1];
        var meta = last.GetProperty("meta_info");
        var steps = events.SelectMany(e => e.GetProperty("meta_info").GetProperty("steps").EnumerateArray()).Select(Step).ToList();
        int committed = StepReplay.Verify(steps, last.GetProperty("output_ids").Ids(), meta.GetProperty("prompt_tokens").GetInt32(), 32,
            meta.GetProperty("denoising_steps").GetInt32());
        Assert.True(committed >= 70, $"{committed} committed");
        foreach (var e in events)
        {
            var eventSteps = e.GetProperty("meta_info").GetProperty("steps");
            Assert.True(eventSteps.GetArrayLength() > 0);
            Assert.Equal(e.GetProperty("meta_info").GetProperty("denoising_steps").GetInt32(), eventSteps[eventSteps.GetArrayLength() - 1].GetProperty("step").GetInt32());
        }
        Assert.All(steps.SelectMany(s => s.Committed), t => Assert.Equal(Server.Engine.Tokenizer.Decode([t.TokenId]), t.Text));
    }

    [Fact]
    public async Task Without_return_steps_the_stream_is_what_it_was_and_with_it_only_meta_info_steps_is_added()
    {
        var absent = await EventsAsync(Body("steps-off", ""));
        var off = await EventsAsync(Body("steps-off", ", \"return_steps\": false"));
        var on = await EventsAsync(Body("steps-off", ", \"return_steps\": true"));

        Assert.All(absent.SkipLast(1), e => Assert.DoesNotContain("\"steps\"", e));
        Assert.Equal(absent.Select(e => WithoutTiming(e)), off.Select(e => WithoutTiming(e)));
        Assert.Equal(absent.Select(e => WithoutTiming(e)), on.Select(e => e == "[DONE]" ? e : WithoutTiming(e, dropSteps: true)));
        // The field order of an event is unchanged: meta_info's keys are those of the plain stream, steps last.
        var keys = JsonDocument.Parse(on[0]).RootElement.GetProperty("meta_info").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal("steps", keys[^1]);
    }
}
