using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace Dllm.Server.Tests.Clients;

/// <summary>Microsoft.Extensions.AI.OpenAI's <see cref="IChatClient"/> as a real client of <c>/v1</c>, streaming and tools included.</summary>
[Collection(ServerCollection.Name)]
public class ChatClientTests(ServerFixture fixture)
{
    private DllmTestServer Server => fixture.Server;

    [Fact]
    public async Task Get_response_and_streaming_response_agree()
    {
        using var client = OpenAiClients.ChatClient(Server.BaseAddress);
        var options = new ChatOptions { MaxOutputTokens = 60, Temperature = 0 };
        ChatMessage[] messages = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "Tell me about the sea.")];

        var response = await client.GetResponseAsync(messages, options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options))
            updates.Add(update);
        var streamed = updates.ToChatResponse();

        Assert.Equal(response.Text, streamed.Text);
        Assert.Equal(response.FinishReason, streamed.FinishReason);
        Assert.Contains(response.FinishReason, new ChatFinishReason?[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.OutputTokenCount <= 60);
        Assert.Equal(response.Usage.OutputTokenCount, streamed.Usage?.OutputTokenCount);
        Assert.Equal(response.Usage.InputTokenCount, streamed.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task A_tool_call_arrives_as_function_call_content_streamed_or_not()
    {
        using var client = OpenAiClients.ChatClient(Server.BaseAddress);
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather", "Gets the weather of a city.")] };

        var response = await client.GetResponseAsync("What is the weather in Paris?", options);
        var streamed = await client.GetStreamingResponseAsync("What is the weather in Paris?", options).ToChatResponseAsync();

        foreach (var answer in new[] { response, streamed })
        {
            Assert.Equal(ChatFinishReason.ToolCalls, answer.FinishReason);
            var call = Assert.Single(answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
            Assert.Equal("get_weather", call.Name);
            Assert.Equal("Paris", Assert.IsType<JsonElement>(call.Arguments!["city"]).GetString());
            Assert.Equal("Let me check.", answer.Text);
        }
    }
}
