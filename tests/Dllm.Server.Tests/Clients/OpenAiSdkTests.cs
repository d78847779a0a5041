using System.ClientModel;
using System.Text;
using System.Text.Json;
using Dllm.Chat;
using Dllm.Server.Tests.Infrastructure;
using OpenAI.Chat;

namespace Dllm.Server.Tests.Clients;

/// <summary>The OpenAI .NET SDK as a real client of <c>/v1/chat/completions</c>, streaming included.</summary>
[Collection(ServerCollection.Name)]
public class OpenAiSdkTests(ServerFixture fixture)
{
    private const string Question = "Name three rivers in Europe.";

    private DllmTestServer Server => fixture.Server;

    /// <summary>What /generate answers for the same chat: the template-rendered prompt, stopping at EOS or role_end.</summary>
    private async Task<JsonElement> GenerateForChatAsync(int maxTokens)
    {
        string prompt = ChatTemplate.Render([ChatTurn.User(Question)]);
        string body = JsonSerializer.Serialize(new
        {
            text = prompt,
            sampling_params = new { max_new_tokens = maxTokens, stop_token_ids = new[] { Server.Engine.Tokenizer.RoleEndTokenId } },
        });
        return await (await Server.Client.PostAsync("/generate", body)).JsonAsync();
    }

    [Fact]
    public async Task A_chat_completion_matches_generate_on_the_rendered_prompt()
    {
        var expected = await GenerateForChatAsync(24);
        var client = OpenAiClients.Chat(Server.BaseAddress);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Question)], new ChatCompletionOptions { MaxOutputTokenCount = 24 });

        var meta = expected.GetProperty("meta_info");
        Assert.Equal(expected.GetProperty("text").GetString(), string.Concat(completion.Content.Select(p => p.Text)));
        Assert.Equal(meta.GetProperty("finish_reason").GetProperty("type").GetString() == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(meta.GetProperty("prompt_tokens").GetInt32(), completion.Usage.InputTokenCount);
        Assert.Equal(meta.GetProperty("completion_tokens").GetInt32(), completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(Server.Engine.ModelName, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id);
    }

    [Fact]
    public async Task A_streamed_chat_completion_adds_up_to_the_same_answer_with_usage()
    {
        var expected = await GenerateForChatAsync(100);
        var client = OpenAiClients.Chat(Server.BaseAddress);

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int updates = 0;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Question)], new ChatCompletionOptions { MaxOutputTokenCount = 100 }))
        {
            updates++;
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(expected.GetProperty("text").GetString(), text.ToString());
        Assert.NotNull(finish);
        Assert.True(updates >= 3, $"{updates} updates");
        Assert.NotNull(usage);
        Assert.Equal(expected.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32(), usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_repeated_long_prompt_reports_its_cached_prompt_tokens_in_usage()
    {
        var client = OpenAiClients.Chat(Server.BaseAddress);
        string question = "Tell me about rivers: " + string.Join(" ", Enumerable.Range(1, 40).Select(i => $"river{i}"));
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4 };

        ChatCompletion first = await client.CompleteChatAsync([new UserChatMessage(question)], options);
        ChatCompletion second = await client.CompleteChatAsync([new UserChatMessage(question)], options);

        Assert.Equal(first.Usage.InputTokenCount, second.Usage.InputTokenCount);
        int cached = second.Usage.InputTokenDetails!.CachedTokenCount;
        int blockSize = Server.Engine.KvCacheStats.PageSize;
        Assert.Equal(second.Usage.InputTokenCount / blockSize * blockSize, cached);
        Assert.True(cached >= blockSize, $"{cached} cached of {second.Usage.InputTokenCount}");
    }

    [Fact]
    public async Task Offered_tools_come_back_as_tool_calls()
    {
        var client = OpenAiClients.Chat(Server.BaseAddress);
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Gets the weather of a city.", BinaryData.FromString("""{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}""")) },
        };

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")], options);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());
        Assert.StartsWith("call_", call.Id);
        Assert.Equal("Let me check.", string.Concat(completion.Content.Select(p => p.Text)));
        Assert.Contains("\"name\": \"get_weather\"", fixture.Scripted.LastToolPrompt);
        Assert.Contains("# Tools", fixture.Scripted.LastToolPrompt);
    }

    [Fact]
    public async Task A_server_error_surfaces_as_the_request_error_and_the_server_keeps_serving()
    {
        var client = OpenAiClients.Chat(Server.BaseAddress);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage(ScriptedGenerator.FailNow)]));
        ChatCompletion next = await client.CompleteChatAsync([new UserChatMessage(Question)], new ChatCompletionOptions { MaxOutputTokenCount = 4 });

        Assert.Equal(500, error.Status);
        Assert.Contains("the engine failed while generating request", error.Message);
        Assert.DoesNotContain(ScriptedGenerator.FailureMessage, error.Message);
        Assert.True(next.Usage.OutputTokenCount <= 4);
    }
}
