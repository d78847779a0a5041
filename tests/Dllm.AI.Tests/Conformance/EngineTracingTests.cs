using System.Collections.Concurrent;
using System.Diagnostics;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Diagnostics;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Tests.Conformance;

/// <summary>The engine's request span joins the chat client's <c>UseOpenTelemetry()</c> span: one trace, the engine span its child.</summary>
[Collection(EngineCollection.Name)]
public sealed class EngineTracingTests(EngineFixture fixture)
{
    [Fact]
    public async Task The_engine_span_is_a_child_of_the_chat_span_with_prefill_and_block_events()
    {
        string chatSource = Guid.NewGuid().ToString();
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == chatSource || source.Name == DllmEngineTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var client = new DllmChatClient(fixture.Engine).AsBuilder().UseOpenTelemetry(sourceName: chatSource).Build();

        await client.GetResponseAsync("Hello traces", new ChatOptions { MaxOutputTokens = 12 });

        Assert.Null(Activity.Current);
        var chat = Assert.Single(stopped, a => a.Source.Name == chatSource);
        var engine = Assert.Single(stopped, a => a.Source.Name == DllmEngineTelemetry.ActivitySourceName && a.ParentSpanId == chat.SpanId);
        Assert.Equal(chat.TraceId, engine.TraceId);
        Assert.Equal($"text_completion {fixture.Engine.ModelName}", engine.DisplayName);
        Assert.Equal("dllm", engine.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(12, engine.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(new[] { "length" }, engine.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.True(engine.Duration <= chat.Duration);
        Assert.Equal("dllm.prefill", engine.Events.First().Name);
        var blocks = engine.Events.Where(e => e.Name == "dllm.block").ToList();
        Assert.True(blocks.Count >= 2, $"12 tokens in blocks of {EngineFixture.BlockSize} take two blocks at least, got {blocks.Count}");
        Assert.All(blocks, b => Assert.True((int)b.Tags.Single(t => t.Key == "dllm.block.steps").Value! >= 1));
    }
}
