using Dllm.AI.Responses;
using Dllm.Chat;

namespace Dllm.AI.Tests.Responses;

/// <summary>What a stream may show before generation ends: always the start of the final answer.</summary>
public sealed class ResponseTextGateTests
{
    private static List<string> Run(ResponseTextGate gate, string[] blocks, string? finalText = null)
    {
        var shown = new List<string>();
        string text = "";
        foreach (string block in blocks.SkipLast(1))
            shown.Add(gate.Advance(text += block));
        shown.Add(gate.Complete(finalText ?? text + blocks[^1]).Text);
        return shown;
    }

    [Fact]
    public void Without_tools_or_stops_every_block_is_shown_as_it_comes()
    {
        Assert.Equal(["a <to", "ol_call> ", " b"], Run(new ResponseTextGate(false, []), ["a <to", "ol_call> ", " b"]));
    }

    [Fact]
    public void The_start_of_a_stop_sequence_is_held_back_until_it_is_known_not_to_be_one()
    {
        var gate = new ResponseTextGate(false, ["STOP"]);

        Assert.Equal("Hello ", gate.Advance("Hello ST"));
        Assert.Equal("STa", gate.Advance("Hello STaS"));
        Assert.Equal("Sy", gate.Complete("Hello STaSy").Text);
    }

    [Fact]
    public void A_stop_sequence_split_across_blocks_never_reaches_the_stream()
    {
        // The engine cuts the matched stop sequence from the final text.
        var shown = Run(new ResponseTextGate(false, ["STOP"]), ["one S", "TO", "P two"], finalText: "one ");

        Assert.Equal("one ", string.Concat(shown));
        Assert.DoesNotContain(shown, s => s.Contains('S'));
    }

    [Fact]
    public void With_tools_trailing_whitespace_waits_and_is_dropped_before_a_call()
    {
        string[] blocks = ["Hi  \n", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>"];

        var shown = Run(new ResponseTextGate(true, []), blocks);

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

            var shown = Run(new ResponseTextGate(true, []), blocks);

            Assert.Equal(ToolCallParser.Parse(output).Text, string.Concat(shown));
            Assert.All(shown.SkipLast(1), s => Assert.DoesNotContain("<tool", s));
        }
    }
}
