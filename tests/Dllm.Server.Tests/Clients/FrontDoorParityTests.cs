using System.Text.Json;
using Dllm.AI;
using Dllm.Server.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace Dllm.Server.Tests.Clients;

/// <summary>
/// One chat policy behind both front doors: the same conversation through Dllm's <see cref="IChatClient"/> (in process,
/// over the server's own generator) and through <c>/v1/chat/completions</c> on Kestrel (Microsoft.Extensions.AI's OpenAI
/// client over real HTTP) gives the same text, finish reason and tool calls, streamed or not.
/// </summary>
[Collection(ServerCollection.Name)]
public class FrontDoorParityTests(ServerFixture fixture)
{
    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "Tell me about the sea.")];

    private sealed record Answer(string Text, ChatFinishReason? FinishReason, IReadOnlyList<string> Calls);

    private async Task<IReadOnlyList<Answer>> BothDoorsAsync(IEnumerable<ChatMessage> messages, ChatOptions options)
    {
        using var direct = new DllmChatClient(fixture.Scripted);
        using var http = OpenAiClients.ChatClient(fixture.Server.BaseAddress);
        var answers = new List<Answer>();
        foreach (var client in new[] { direct, http })
        {
            answers.Add(Of(await client.GetResponseAsync(messages, options)));
            answers.Add(Of(await client.GetStreamingResponseAsync(messages, options).ToChatResponseAsync()));
        }
        return answers;
    }

    private static Answer Of(ChatResponse response) => new(response.Text, response.FinishReason,
        [.. response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => $"{c.Name} {JsonSerializer.Serialize(c.Arguments)}")]);

    private static void AllSame(IReadOnlyList<Answer> answers)
    {
        Assert.All(answers, a => Assert.Equal(answers[0].Text, a.Text));
        Assert.All(answers, a => Assert.Equal(answers[0].FinishReason, a.FinishReason));
        Assert.All(answers, a => Assert.Equal(answers[0].Calls, a.Calls));
    }

    [Fact]
    public async Task Greedy_answers_are_the_same()
    {
        var answers = await BothDoorsAsync(Conversation, new ChatOptions { MaxOutputTokens = 40, Temperature = 0 });

        AllSame(answers);
        Assert.NotEmpty(answers[0].Text);
        Assert.Contains(answers[0].FinishReason, new ChatFinishReason?[] { ChatFinishReason.Stop, ChatFinishReason.Length });
    }

    [Fact]
    public async Task Seeded_sampling_gives_the_same_answer()
    {
        var answers = await BothDoorsAsync(Conversation, new ChatOptions { MaxOutputTokens = 40, Temperature = 0.9f, TopP = 0.95f, Seed = 1234 });

        AllSame(answers);
        Assert.NotEmpty(answers[0].Text);
    }

    [Fact]
    public async Task A_stop_string_ends_both_answers_at_the_same_place_and_is_trimmed_from_both()
    {
        using var direct = new DllmChatClient(fixture.Scripted);
        string plain = (await direct.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 40, Temperature = 0 })).Text;
        Assert.True(plain.Length >= 12, $"the greedy answer is too short to cut: '{plain}'");
        string stop = plain.Substring(plain.Length / 2, 3);

        var answers = await BothDoorsAsync(Conversation, new ChatOptions { MaxOutputTokens = 40, Temperature = 0, StopSequences = [stop] });

        AllSame(answers);
        Assert.Equal(ChatFinishReason.Stop, answers[0].FinishReason);
        Assert.Equal(plain[..plain.IndexOf(stop, StringComparison.Ordinal)], answers[0].Text);
    }

    [Fact]
    public async Task A_tool_call_is_the_same_call_with_the_same_text_and_finish_reason()
    {
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather", "Gets the weather of a city.")], MaxOutputTokens = 64 };

        var answers = await BothDoorsAsync([new(ChatRole.User, "What is the weather in Paris?")], options);

        AllSame(answers);
        Assert.Equal(ChatFinishReason.ToolCalls, answers[0].FinishReason);
        Assert.Equal("Let me check.", answers[0].Text);
        Assert.Equal(["get_weather {\"city\":\"Paris\"}"], answers[0].Calls);
    }
}
