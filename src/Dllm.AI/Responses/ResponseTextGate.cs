using Dllm.Chat;
using Dllm.Tokenization;

namespace Dllm.AI.Responses;

/// <summary>
/// Decides how much of the generated text a stream may show while generation goes on, so that what was shown is
/// always the start of the final answer. Held back: the tail that may be the start of a stop sequence (the engine cuts
/// a matched stop sequence from the text); and, when tools were offered, everything from the first
/// <c>&lt;tool_call&gt;</c> on, a tail that may be the start of one, and trailing whitespace (the parser trims the text
/// next to a call). At the end the final text is split by <see cref="ToolCallParser"/> and the rest of the answer is
/// released. Works on the cumulative text of each engine update. Not thread-safe: one per response.
/// </summary>
internal sealed class ResponseTextGate
{
    private readonly bool _parseToolCalls;
    private readonly string[] _markers;
    private int _shown;

    /// <summary>A gate for one response.</summary>
    /// <param name="parseToolCalls">Whether tools were offered (the output may hold tool calls).</param>
    /// <param name="stopSequences">The request's stop strings.</param>
    public ResponseTextGate(bool parseToolCalls, IReadOnlyList<string> stopSequences)
    {
        _parseToolCalls = parseToolCalls;
        _markers = parseToolCalls ? [.. stopSequences, LladaTokens.ToolCallOpen] : [.. stopSequences];
    }

    /// <summary>The text that may be shown now beyond what was shown, given all the text generated so far.</summary>
    public string Advance(string text)
    {
        int end = text.Length - HeldTailLength(text);
        if (_parseToolCalls)
        {
            int call = text.IndexOf(LladaTokens.ToolCallOpen, StringComparison.Ordinal);
            end = call >= 0 ? Math.Min(end, call) : end;
            end = text.AsSpan(0, end).TrimEnd().Length;
        }
        return Release(text, end);
    }

    /// <summary>The rest of the answer and its tool calls, given the final text.</summary>
    public (string Text, IReadOnlyList<ParsedToolCall> ToolCalls) Complete(string text)
    {
        if (!_parseToolCalls)
            return (Release(text, text.Length), []);
        ToolCallParseResult parsed = ToolCallParser.Parse(text);
        return (Release(parsed.Text, parsed.Text.Length), parsed.ToolCalls);
    }

    private string Release(string visible, int end)
    {
        if (end <= _shown)
            return "";
        string delta = visible[_shown..end];
        _shown = end;
        return delta;
    }

    /// <summary>The longest tail of <paramref name="text"/> that is a proper start of a marker.</summary>
    private int HeldTailLength(string text)
    {
        int longest = 0;
        foreach (string marker in _markers)
        {
            for (int length = Math.Min(marker.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(marker.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
