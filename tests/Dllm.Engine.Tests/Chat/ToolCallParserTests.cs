using Dllm.Chat;

namespace Dllm.Tests.Chat;

public class ToolCallParserTests
{
    [Fact]
    public void ReturnsTextWithoutToolCallsUnchanged()
    {
        ToolCallParseResult result = ToolCallParser.Parse("  Just an answer.\n");
        Assert.Equal("  Just an answer.\n", result.Text);
        Assert.Empty(result.ToolCalls);
    }

    [Fact]
    public void ParsesOneCall()
    {
        const string block = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        ToolCallParseResult result = ToolCallParser.Parse(block);
        ParsedToolCall call = Assert.Single(result.ToolCalls);
        Assert.True(call.IsValid);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("{\"city\": \"Paris\"}", call.ArgumentsJson);
        Assert.Equal(block, call.RawText);
        Assert.Null(call.Error);
        Assert.Equal("", result.Text);
    }

    [Fact]
    public void ParsesTwoCalls()
    {
        ToolCallParseResult result = ToolCallParser.Parse(
            "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>");
        Assert.Equal(["a", "b"], result.ToolCalls.Select(c => c.Name));
        Assert.Equal(["{\"x\": 1}", "{}"], result.ToolCalls.Select(c => c.ArgumentsJson));
        Assert.Equal("", result.Text);
    }

    [Fact]
    public void KeepsTheTextAroundCalls()
    {
        ToolCallParseResult result = ToolCallParser.Parse(
            "Let me check.\n<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>\nOne moment.");
        Assert.Equal("Let me check.\nOne moment.", result.Text);
        Assert.Equal("now", Assert.Single(result.ToolCalls).Name);
    }

    [Fact]
    public void ReportsMalformedJsonWithoutThrowing()
    {
        const string block = "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": }\n</tool_call>";
        ToolCallParseResult result = ToolCallParser.Parse("Before " + block + " after");
        ParsedToolCall call = Assert.Single(result.ToolCalls);
        Assert.False(call.IsValid);
        Assert.Null(call.Name);
        Assert.Null(call.ArgumentsJson);
        Assert.Equal(block, call.RawText);
        Assert.StartsWith("malformed JSON", call.Error, StringComparison.Ordinal);
        Assert.Equal("Before\nafter", result.Text);
    }

    [Fact]
    public void ReportsACallWithoutAName()
    {
        ParsedToolCall call = Assert.Single(ToolCallParser.Parse("<tool_call>{\"arguments\": {}}</tool_call>").ToolCalls);
        Assert.Contains("\"name\"", call.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsAnUnterminatedCall()
    {
        ToolCallParseResult result = ToolCallParser.Parse("Sure. <tool_call>\n{\"name\": \"a\"");
        ParsedToolCall call = Assert.Single(result.ToolCalls);
        Assert.Contains("</tool_call>", call.Error, StringComparison.Ordinal);
        Assert.Equal("<tool_call>\n{\"name\": \"a\"", call.RawText);
        Assert.Equal("Sure.", result.Text);
    }

    [Fact]
    public void AcceptsMissingOrStringEncodedArguments()
    {
        ToolCallParseResult result = ToolCallParser.Parse(
            "<tool_call>{\"name\": \"a\"}</tool_call><tool_call>{\"name\": \"b\", \"arguments\": \"{\\\"k\\\": true}\"}</tool_call>");
        Assert.Equal(["{}", "{\"k\": true}"], result.ToolCalls.Select(c => c.ArgumentsJson));
    }

    [Fact]
    public void ReadsBackWhatTheTemplateWrites()
    {
        string prompt = ChatTemplate.Render(
            [ChatTurn.Assistant("Checking.", new ToolCallRequest("get_weather", """{"city": "Paris", "days": [1, 2]}"""))],
            addGenerationPrompt: false);
        string answer = prompt[(prompt.LastIndexOf("</role>", StringComparison.Ordinal) + "</role>".Length)..^"<|role_end|>".Length];
        ToolCallParseResult result = ToolCallParser.Parse(answer);
        Assert.Equal("Checking.", result.Text);
        ParsedToolCall call = Assert.Single(result.ToolCalls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("""{"city": "Paris", "days": [1, 2]}""", call.ArgumentsJson);
    }
}
