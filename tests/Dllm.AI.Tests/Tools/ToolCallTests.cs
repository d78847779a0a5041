using System.Text.Json;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Chat;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Tests.Tools;

/// <summary>Tool calls in the model's output, scripted at the token level.</summary>
public sealed class ToolCallTests
{
    private const string WeatherCall = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>";

    private static readonly ChatOptions WithWeatherTool = new() { Tools = [AIFunctionFactory.Create((string city, int days) => $"{city}: sunny for {days} days", "get_weather")] };

    [Fact]
    public async Task A_tool_call_block_becomes_a_FunctionCallContent_with_finish_reason_ToolCalls()
    {
        using var client = new DllmChatClient(new ScriptedGenerator(["Let me check.\n", WeatherCall]));

        var response = await client.GetResponseAsync("Weather in Paris?", WithWeatherTool);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.Equal(2, ((JsonElement)call.Arguments["days"]!).GetInt32());
        Assert.StartsWith("call_", call.CallId);
        Assert.Null(call.Exception);
        Assert.Equal("Let me check.", response.Text);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Fact]
    public async Task Several_calls_get_distinct_ids()
    {
        using var client = new DllmChatClient(new ScriptedGenerator([WeatherCall, "\n", WeatherCall.Replace("Paris", "Rome", StringComparison.Ordinal)]));

        var response = await client.GetResponseAsync("Weather?", WithWeatherTool);

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal(["Paris", "Rome"], calls.Select(c => ((JsonElement)c.Arguments!["city"]!).GetString()));
        Assert.NotEqual(calls[0].CallId, calls[1].CallId);
        Assert.Equal("", response.Text);
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"\n</tool_call>", "get_weather", "malformed JSON")]
    [InlineData("<tool_call>\n{\"arguments\": {}}\n</tool_call>", "", "no \"name\"")]
    [InlineData("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": ", "get_weather", "no closing")]
    public async Task A_malformed_call_carries_its_error_and_nothing_throws(string output, string name, string error)
    {
        using var client = new DllmChatClient(new ScriptedGenerator([output]));

        var response = await client.GetResponseAsync("Weather?", WithWeatherTool);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(name, call.Name);
        Assert.NotNull(call.Exception);
        Assert.Contains(error, call.Exception.Message);
        Assert.Equal("", response.Text);
    }

    [Fact]
    public async Task Without_tools_tool_call_markup_is_plain_text()
    {
        using var client = new DllmChatClient(new ScriptedGenerator([WeatherCall]));

        var response = await client.GetResponseAsync("Weather?");

        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(WeatherCall, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Streaming_never_shows_tool_call_markup_even_when_a_tag_is_split_across_blocks()
    {
        string[] blocks = ["Sure, ", "checking <to", "ol_call>\n{\"name\": \"get_", "weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool", "_call>\nDone."];
        using var client = new DllmChatClient(new ScriptedGenerator(blocks));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("Weather?", WithWeatherTool))
            updates.Add(update);

        Assert.Equal(blocks.Length, updates.Count);
        Assert.All(updates, u => Assert.DoesNotContain("<", u.Text));
        Assert.Equal(["Sure,", " checking", "", "", "\nDone."], updates.Select(u => u.Text));
        Assert.Equal(ToolCallParser.Parse(string.Concat(blocks)).Text, string.Concat(updates.Select(u => u.Text)));
        var call = Assert.Single(updates[^1].Contents.OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
    }

    [Fact]
    public async Task Under_UseFunctionInvocation_the_chosen_function_runs_and_its_result_reaches_the_final_answer()
    {
        int calls = 0;
        var scripted = new ScriptedGenerator(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? ["The result is ", ToolResponseIn(prompt), "."]
            : ["<tool_call>\n{\"name\": \"SecretComputation\", \"arguments\": {\"a\": 42, \"b\": 84}}\n</tool_call>"]);
        using var client = new DllmChatClient(scripted).AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((int a, int b) => { calls++; return a * b; }, "SecretComputation")] };

        var response = await client.GetResponseAsync("What is SecretComputation on 42 and 84?", options);

        Assert.Equal(1, calls);
        Assert.Equal("The result is 3528.", response.Messages[^1].Text);
        Assert.Equal(2, scripted.Prompts.Count);
        Assert.EndsWith("<tool_call>\n{\"name\": \"SecretComputation\", \"arguments\": {\"a\": 42, \"b\": 84}}\n</tool_call><|role_end|>"
            + "<role>OBSERVATION</role>\n<tool_response>\n3528\n</tool_response><|role_end|><role>ASSISTANT</role>", scripted.Prompts[1]);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Under_UseFunctionInvocation_streaming_runs_the_function_and_streams_the_final_answer()
    {
        var scripted = new ScriptedGenerator(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? ["The answer is ", ToolResponseIn(prompt)]
            : ["<tool_call>\n{\"name\": \"GetSecretNumber\", \"arguments\": {}}\n</tool_call>"]);
        using var client = new DllmChatClient(scripted).AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create(() => 4711, "GetSecretNumber")] };

        var text = new System.Text.StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("What is the secret number?", options))
            text.Append(update.Text);

        Assert.Equal("The answer is 4711", text.ToString());
    }

    [Fact]
    public async Task Under_UseFunctionInvocation_a_malformed_call_does_not_run_the_function_and_the_failure_goes_back_to_the_model()
    {
        var scripted = new ScriptedGenerator(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? ["Sorry: ", ToolResponseIn(prompt)]
            : ["<tool_call>\n{\"name\": \"Square\", \"arguments\": {\"x\": oops}\n</tool_call>"]);
        int calls = 0;
        using var client = new DllmChatClient(scripted).AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("Square of 3?", new ChatOptions { Tools = [AIFunctionFactory.Create((int x) => { calls++; return x * x; }, "Square")] });

        Assert.Equal(0, calls);
        Assert.StartsWith("Sorry: Error:", response.Messages[^1].Text);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.NotNull(call.Exception);
    }

    /// <summary>What the last observation turn of <paramref name="prompt"/> says (the scripted model "reads" it).</summary>
    private static string ToolResponseIn(string prompt)
    {
        int start = prompt.LastIndexOf("<tool_response>\n", StringComparison.Ordinal) + "<tool_response>\n".Length;
        return prompt[start..prompt.IndexOf("\n</tool_response>", start, StringComparison.Ordinal)];
    }
}
