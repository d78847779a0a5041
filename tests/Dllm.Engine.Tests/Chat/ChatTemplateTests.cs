using Dllm.Chat;
using Dllm.Tests.Tokenization;

namespace Dllm.Tests.Chat;

public class ChatTemplateTests
{
    private const string DefaultSystem = "<role>SYSTEM</role>detailed thinking off<|role_end|>";

    private static readonly ToolDefinition Weather = new(
        "get_weather",
        "Current weather for a city",
        """{"type":"object","properties":{"city":{"type":"string","description":"City name, e.g. \"Paris\""}},"required":["city"]}""");

    private const string WeatherJson =
        """{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name, e.g. \"Paris\""}}, "required": ["city"]}}}""";

    private const string ToolsBlock =
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" + WeatherJson + "\n</tools>\n\n" +
        "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
        "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>\n";

    [Fact]
    public void RendersTheSeedPromptExactly()
    {
        string prompt = ChatTemplate.Render([ChatTurn.User(" Write a brief introduction of the great wall ")]);
        Assert.Equal(
            "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>",
            prompt);
    }

    [Fact]
    public void RendersTheDefaultSystemTurnWithNoMessages()
    {
        Assert.Equal(DefaultSystem, ChatTemplate.Render([], addGenerationPrompt: false));
    }

    [Fact]
    public void PutsTheSystemMessageBeforeTheThinkingLine()
    {
        string prompt = ChatTemplate.Render([ChatTurn.System("You are a helpful assistant."), ChatTurn.User("Hi")]);
        Assert.Equal(
            "<role>SYSTEM</role>You are a helpful assistant.\ndetailed thinking off<|role_end|><role>HUMAN</role>Hi<|role_end|><role>ASSISTANT</role>",
            prompt);
    }

    [Fact]
    public void RendersAMultiTurnConversation()
    {
        string prompt = ChatTemplate.Render(
        [
            ChatTurn.User("What is 2+2?"),
            ChatTurn.Assistant("4."),
            ChatTurn.User("And 3+3?"),
        ]);
        Assert.Equal(
            DefaultSystem +
            "<role>HUMAN</role>What is 2+2?<|role_end|><role>ASSISTANT</role>4.<|role_end|>" +
            "<role>HUMAN</role>And 3+3?<|role_end|><role>ASSISTANT</role>",
            prompt);
    }

    [Fact]
    public void LeavesOutTheGenerationPromptWhenAsked()
    {
        string prompt = ChatTemplate.Render([ChatTurn.User("Hi"), ChatTurn.Assistant("Hello!")], addGenerationPrompt: false);
        Assert.Equal(DefaultSystem + "<role>HUMAN</role>Hi<|role_end|><role>ASSISTANT</role>Hello!<|role_end|>", prompt);
    }

    [Fact]
    public void RendersALaterSystemMessageAsItsOwnTurn()
    {
        string prompt = ChatTemplate.Render([ChatTurn.User("Hi"), ChatTurn.System("Be brief.")], addGenerationPrompt: false);
        Assert.Equal(DefaultSystem + "<role>HUMAN</role>Hi<|role_end|><role>SYSTEM</role>Be brief.<|role_end|>", prompt);
    }

    [Fact]
    public void PutsToolDefinitionsInTheSystemTurn()
    {
        string prompt = ChatTemplate.Render([ChatTurn.User("Weather in Paris?")], [Weather]);
        Assert.Equal(
            "<role>SYSTEM</role>" + ToolsBlock + "detailed thinking off<|role_end|>" +
            "<role>HUMAN</role>Weather in Paris?<|role_end|><role>ASSISTANT</role>",
            prompt);
    }

    [Fact]
    public void PutsToolDefinitionsAfterTheSystemMessage()
    {
        var tools = new[] { Weather, new ToolDefinition("now") };
        string prompt = ChatTemplate.Render([ChatTurn.System("Sys."), ChatTurn.User("Q")], tools);
        string expectedTools = ToolsBlock.Replace(
            WeatherJson + "\n</tools>",
            WeatherJson + "\n{\"type\": \"function\", \"function\": {\"name\": \"now\"}}\n</tools>",
            StringComparison.Ordinal);
        Assert.Equal(
            "<role>SYSTEM</role>Sys.\n" + expectedTools + "detailed thinking off<|role_end|><role>HUMAN</role>Q<|role_end|><role>ASSISTANT</role>",
            prompt);
    }

    [Fact]
    public void RendersToolCallsInAnAssistantTurn()
    {
        string prompt = ChatTemplate.Render(
        [
            ChatTurn.User("Weather in Paris and Rome?"),
            ChatTurn.Assistant("", new ToolCallRequest("get_weather", """{"city":"Paris"}"""), new ToolCallRequest("get_weather", """{ "city" : "Roma ☀" }""")),
        ], addGenerationPrompt: false);
        Assert.Equal(
            DefaultSystem + "<role>HUMAN</role>Weather in Paris and Rome?<|role_end|><role>ASSISTANT</role>" +
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n" +
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Roma ☀\"}}\n</tool_call><|role_end|>",
            prompt);
    }

    [Fact]
    public void SeparatesToolCallsFromAssistantText()
    {
        string prompt = ChatTemplate.Render(
            [ChatTurn.Assistant("Let me check.", new ToolCallRequest("now", "{}"))], addGenerationPrompt: false);
        Assert.Equal(
            DefaultSystem + "<role>ASSISTANT</role>Let me check.\n<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call><|role_end|>",
            prompt);
    }

    [Fact]
    public void RendersAToolResult()
    {
        string prompt = ChatTemplate.Render(
        [
            ChatTurn.User("Weather?"),
            ChatTurn.Assistant("", new ToolCallRequest("get_weather", """{"city": "Paris"}""")),
            ChatTurn.Tool("""{"temp_c": 21}"""),
        ]);
        Assert.Equal(
            DefaultSystem + "<role>HUMAN</role>Weather?<|role_end|><role>ASSISTANT</role>" +
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|role_end|>" +
            "<role>OBSERVATION</role>\n<tool_response>\n{\"temp_c\": 21}\n</tool_response><|role_end|>" +
            "<role>ASSISTANT</role>",
            prompt);
    }

    [Fact]
    public void GroupsConsecutiveToolResultsInOneObservationTurn()
    {
        string prompt = ChatTemplate.Render([ChatTurn.Tool("sunny"), ChatTurn.Tool("rainy"), ChatTurn.User("Thanks")], addGenerationPrompt: false);
        Assert.Equal(
            DefaultSystem +
            "<role>OBSERVATION</role>\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\nrainy\n</tool_response><|role_end|>" +
            "<role>HUMAN</role>Thanks<|role_end|>",
            prompt);
    }

    [Fact]
    public void CopiesArgumentsThatAreNotJsonAsGiven()
    {
        string prompt = ChatTemplate.Render([ChatTurn.Assistant("", new ToolCallRequest("f", "not json"))], addGenerationPrompt: false);
        Assert.EndsWith("<tool_call>\n{\"name\": \"f\", \"arguments\": not json}\n</tool_call><|role_end|>", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAToolSchemaThatIsNotJson()
    {
        var error = Assert.Throws<ArgumentException>(() => ChatTemplate.Render([ChatTurn.User("x")], [new ToolDefinition("bad", null, "{oops")]));
        Assert.Contains("'bad'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRenderedPromptEncodesWithSingleIdMarkers()
    {
        var tokenizer = SyntheticTokenizers.Realistic;
        int[] ids = tokenizer.Encode(ChatTemplate.Render([ChatTurn.User("Hi")]));
        Assert.Equal(2, ids.Count(id => id == tokenizer.RoleEndTokenId)); // the system and user turns end; the assistant's is open
        Assert.Equal(ChatTemplate.Render([ChatTurn.User("Hi")]), tokenizer.Decode(ids));
    }
}
