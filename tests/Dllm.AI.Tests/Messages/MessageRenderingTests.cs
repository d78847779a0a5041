using System.Text.Json;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Chat;
using Microsoft.Extensions.AI;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Dllm.AI.Tests.Messages;

/// <summary>How messages become the LLaDA prompt (seen through a scripted generator).</summary>
public sealed class MessageRenderingTests
{
    private static async Task<string> PromptForAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        var generator = new ScriptedGenerator(["ok"]);
        using var client = new DllmChatClient(generator);
        await client.GetResponseAsync(messages, options);
        return Assert.Single(generator.Prompts);
    }

    [Fact]
    public async Task A_user_message_renders_as_the_seed_prompt()
    {
        string prompt = await PromptForAsync([new(ChatRole.User, " Write a brief introduction of the great wall ")]);

        Assert.Equal("<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>", prompt);
    }

    [Fact]
    public async Task Instructions_and_leading_system_messages_make_the_system_turn_and_later_ones_their_own()
    {
        string prompt = await PromptForAsync(
            [new(ChatRole.System, "Be brief."), new(ChatRole.System, "Use French."), new(ChatRole.User, "Hi"), new(ChatRole.System, "Now English."), new(ChatRole.User, "Again")],
            new ChatOptions { Instructions = "You are Dllm." });

        Assert.Equal(ChatTemplate.Render([ChatTurn.System("You are Dllm.\nBe brief.\nUse French."), ChatTurn.User("Hi"), ChatTurn.System("Now English."), ChatTurn.User("Again")]), prompt);
    }

    [Fact]
    public async Task Tool_calls_and_results_render_as_assistant_tool_calls_and_one_observation_turn()
    {
        ChatMessage[] messages =
        [
            new(ChatRole.User, "Weather in Paris and Rome?"),
            new(ChatRole.Assistant, [new TextContent("Checking."), new FunctionCallContent("c1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" }),
                new FunctionCallContent("c2", "get_weather", new Dictionary<string, object?> { ["city"] = "Rome", ["days"] = 2 })]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", "sunny"), new FunctionResultContent("c2", JsonDocument.Parse("{\"t\":21}").RootElement)]),
            new(ChatRole.Tool, [new FunctionResultContent("c3", 42)]),
        ];

        string prompt = await PromptForAsync(messages);

        string expected = ChatTemplate.Render(
        [
            ChatTurn.User("Weather in Paris and Rome?"),
            ChatTurn.Assistant("Checking.", new ToolCallRequest("get_weather", "{\"city\":\"Paris\"}"), new ToolCallRequest("get_weather", "{\"city\":\"Rome\",\"days\":2}")),
            ChatTurn.Tool("sunny"),
            ChatTurn.Tool("{\"t\":21}"),
            ChatTurn.Tool("42"),
        ]);
        Assert.Equal(expected, prompt);
        Assert.Contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\", \"days\": 2}}\n</tool_call>", prompt);
        Assert.Contains("<role>OBSERVATION</role>\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\n{\"t\":21}\n</tool_response>\n<tool_response>\n42\n</tool_response><|role_end|>", prompt);
    }

    [Fact]
    public async Task Offered_functions_are_described_in_the_system_turn_unless_the_tool_mode_is_none()
    {
        var add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two numbers.");
        var options = new ChatOptions { Tools = [add] };

        string prompt = await PromptForAsync([new(ChatRole.User, "1+2?")], options);
        string none = await PromptForAsync([new(ChatRole.User, "1+2?")], new ChatOptions { Tools = [add], ToolMode = ChatToolMode.None });

        Assert.Equal(ChatTemplate.Render([ChatTurn.User("1+2?")], [new ToolDefinition("add", "Adds two numbers.", add.JsonSchema.GetRawText())]), prompt);
        Assert.Contains("{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Adds two numbers.\", \"parameters\": {", prompt);
        Assert.Equal(ChatTemplate.Render([ChatTurn.User("1+2?")]), none);
    }

    [Fact]
    public async Task Content_the_model_cannot_read_is_left_out()
    {
        string prompt = await PromptForAsync([new(ChatRole.User, [new TextContent("Describe "), new DataContent(new byte[] { 1, 2, 3 }, "image/png"), new TextContent("this")])]);

        Assert.Equal(ChatTemplate.Render([ChatTurn.User("Describe this")]), prompt);
    }
}
