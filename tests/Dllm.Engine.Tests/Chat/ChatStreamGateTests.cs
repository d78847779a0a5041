using Dllm.Chat;

namespace Dllm.Tests.Chat;

/// <summary>What a stream may show before generation ends (always the start of the final answer), and the end of the turn.</summary>
public sealed class ChatStreamGateTests
{
    private static GenerationUpdate Final(string text, FinishReason? reason = null) => new()
    {
        RequestId = "r", TextDelta = "", NewIds = [], Text = text, OutputIds = [], PromptTokens = 1, DenoisingSteps = 1,
        FinishReason = reason ?? FinishReason.StopToken(0),
    };

    private static List<string> Run(ChatStreamGate gate, string[] blocks, string? finalText = null)
    {
        var shown = new List<string>();
        string text = "";
        foreach (string block in blocks.SkipLast(1))
            shown.Add(gate.Advance(text += block));
        shown.Add(gate.Complete(Final(finalText ?? text + blocks[^1])).Rest);
        return shown;
    }

    [Fact]
    public void Without_tools_or_stops_every_block_is_shown_as_it_comes()
    {
        Assert.Equal(["a <to", "ol_call> ", " b"], Run(new ChatStreamGate(false, []), ["a <to", "ol_call> ", " b"]));
    }

    [Fact]
    public void The_start_of_a_stop_sequence_is_held_back_until_it_is_known_not_to_be_one()
    {
        var gate = new ChatStreamGate(false, ["STOP"]);

        Assert.Equal("Hello ", gate.Advance("Hello ST"));
        Assert.Equal("STa", gate.Advance("Hello STaS"));
        Assert.Equal("Sy", gate.Complete(Final("Hello STaSy")).Rest);
    }

    [Fact]
    public void A_stop_sequence_split_across_blocks_never_reaches_the_stream()
    {
        // The engine cuts the matched stop sequence from the final text.
        var shown = Run(new ChatStreamGate(false, ["STOP"]), ["one S", "TO", "P two"], finalText: "one ");

        Assert.Equal("one ", string.Concat(shown));
        Assert.DoesNotContain(shown, s => s.Contains('S'));
    }

    [Fact]
    public void Half_of_a_surrogate_pair_is_never_shown()
    {
        // A stop string that starts with the low half of the last character would cut the pair in two.
        var gate = new ChatStreamGate(false, ["\uDE00x"]);

        Assert.Equal("ab", gate.Advance("ab\uD83D\uDE00"));
        Assert.Equal("\uD83D\uDE00y", gate.Complete(Final("ab\uD83D\uDE00y")).Rest);
    }

    [Fact]
    public void With_tools_trailing_whitespace_waits_and_is_dropped_before_a_call()
    {
        string[] blocks = ["Hi  \n", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>"];

        var shown = Run(new ChatStreamGate(true, []), blocks);

        Assert.Equal(["Hi", ""], shown);
        Assert.Equal(ToolCallParser.Parse(string.Concat(blocks)).Text, string.Concat(shown));
    }

    [Theory]
    [InlineData("plain text with trailing space ")]
    [InlineData("  lead <tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>  after \n")]
    [InlineData("<tool_call>\n{\"name\": \"f\"}\n</tool_call>\n<tool_call>\n{\"name\": \"g\"}\n</tool_call>")]
    [InlineData("text <tool_call>\n{\"name\": \"f\", unclosed")]
    [InlineData("almost a call <tool_cal")]
    public void With_tools_the_stream_adds_up_to_the_parsed_text_whatever_the_block_boundaries(string output)
    {
        for (int size = 1; size <= 7; size++)
        {
            string[] blocks = output.Chunk(size).Select(c => new string(c)).ToArray();

            var shown = Run(new ChatStreamGate(true, []), blocks);

            Assert.Equal(ToolCallParser.Parse(output).Text, string.Concat(shown));
            Assert.All(shown.SkipLast(1), s => Assert.DoesNotContain("<tool", s));
        }
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>", true, ChatFinish.ToolCalls)]
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>", false, ChatFinish.Stop)]
    [InlineData("<tool_call>\n{\"arguments\": {}}\n</tool_call>", true, ChatFinish.Stop)]
    [InlineData("no call", true, ChatFinish.Stop)]
    public void The_turn_ends_with_tool_calls_only_when_tools_were_offered_and_a_call_could_be_read(string text, bool tools, ChatFinish expected)
    {
        var output = new ChatStreamGate(tools, []).Complete(Final(text));

        Assert.Equal(expected, output.FinishReason);
        Assert.Equal(tools && text.Contains("<tool_call>", StringComparison.Ordinal) ? 1 : 0, output.ToolCalls.Count);
    }

    [Fact]
    public void Length_and_abort_win_over_tool_calls_and_an_abort_says_why()
    {
        const string call = "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>";

        var length = new ChatStreamGate(true, []).Complete(Final(call, FinishReason.MaxLength(9)));
        var abort = new ChatStreamGate(true, []).Complete(Final(call, FinishReason.Aborted("gone")));

        Assert.Equal(ChatFinish.Length, length.FinishReason);
        Assert.Null(length.AbortMessage);
        Assert.Equal(ChatFinish.Abort, abort.FinishReason);
        Assert.Equal("gone", abort.AbortMessage);
    }
}
