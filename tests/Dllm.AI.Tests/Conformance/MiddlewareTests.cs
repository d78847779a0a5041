using System.Diagnostics;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Dllm.AI.Tests.Conformance;

/// <summary>The client under Microsoft.Extensions.AI's logging and OpenTelemetry middleware.</summary>
[Collection(EngineCollection.Name)]
public sealed class MiddlewareTests(EngineFixture fixture)
{
    private readonly DllmEngine _engine = fixture.Engine;

    [Fact]
    public async Task UseOpenTelemetry_records_provider_model_usage_and_finish_reason()
    {
        string source = Guid.NewGuid().ToString();
        var activities = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(source).AddInMemoryExporter(activities).Build();
        using var client = new DllmChatClient(_engine).AsBuilder().UseOpenTelemetry(sourceName: source).Build();

        var response = await client.GetResponseAsync("Hello telemetry", new ChatOptions { MaxOutputTokens = 6 });
        await foreach (var _ in client.GetStreamingResponseAsync("Hello telemetry", new ChatOptions { MaxOutputTokens = 6 }))
        {
        }

        Assert.Equal(2, activities.Count);
        Assert.All(activities, activity =>
        {
            Assert.Equal("dllm", activity.GetTagItem("gen_ai.provider.name"));
            Assert.Equal(_engine.ModelName, activity.GetTagItem("gen_ai.response.model"));
            Assert.Equal((int)response.Usage!.InputTokenCount!, activity.GetTagItem("gen_ai.usage.input_tokens"));
            Assert.Equal(6, activity.GetTagItem("gen_ai.usage.output_tokens"));
            Assert.Equal(6, activity.GetTagItem("gen_ai.request.max_tokens"));
            Assert.Equal("[\"length\"]", activity.GetTagItem("gen_ai.response.finish_reasons"));
            Assert.StartsWith("chatcmpl-", (string)activity.GetTagItem("gen_ai.response.id")!);
        });
    }

    [Fact]
    public async Task UseLogging_at_trace_level_logs_the_messages_and_the_response()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var client = new DllmChatClient(_engine).AsBuilder().UseLogging(loggerFactory).Build();

        var response = await client.GetResponseAsync("Hello logs", new ChatOptions { MaxOutputTokens = 6 });

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Trace && e.Message.Contains("GetResponseAsync invoked", StringComparison.Ordinal)
            && e.Message.Contains("Hello logs", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Trace && e.Message.Contains("GetResponseAsync completed", StringComparison.Ordinal)
            && e.Message.Contains(response.ResponseId!, StringComparison.Ordinal));
    }
}
