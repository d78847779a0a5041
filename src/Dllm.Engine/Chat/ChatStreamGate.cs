using Dllm.Tokenization;

namespace Dllm.Chat;

/// <summary>
/// The chat policy's response half, one for every front door that streams text: how much of the generated text a
/// stream may show while generation goes on, so that what was shown is always the start of the final answer, and the
/// final split. Held back: the tail that may be the start of a stop string (the engine cuts a matched stop string from
/// the text); when tools were offered, everything from the first <c>&lt;tool_call&gt;</c> on, a tail that may be the
/// start of one, and trailing whitespace (the parser trims the text next to a call); and never half of a surrogate pair.
/// At the end the final text is split by <see cref="ToolCallParser"/> (when tools were offered) and the finish reason
/// decided. Works on the cumulative text of each engine update. Not thread-safe: one per response.
/// </summary>
public sealed class ChatStreamGate
{
    private readonly bool _toolsOffered;
    private readonly string[] _markers;
    private int _shown;

    /// <summary>A gate for one response.</summary>
    /// <param name="toolsOffered">Whether tools were offered (the output may hold tool calls).</param>
    /// <param name="stopStrings">The request's stop strings.</param>
    public ChatStreamGate(bool toolsOffered, IReadOnlyList<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        _toolsOffered = toolsOffered;
        _markers = toolsOffered ? [.. stopStrings, LladaTokens.ToolCallOpen] : [.. stopStrings];
    }

    /// <summary>How many characters of the answer were shown so far.</summary>
    public int Shown => _shown;

    /// <summary>The text that may be shown now beyond what was shown, given all the text generated so far.</summary>
    public string Advance(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int end = text.Length - HeldTailLength(text);
        if (_toolsOffered)
        {
            int call = text.IndexOf(LladaTokens.ToolCallOpen, StringComparison.Ordinal);
            end = call >= 0 ? Math.Min(end, call) : end;
            end = text.AsSpan(0, end).TrimEnd().Length;
        }
        if (end > 0 && end < text.Length && char.IsHighSurrogate(text[end - 1]))
            end--;
        if (end <= _shown)
            return "";
        string delta = text[_shown..end];
        _shown = end;
        return delta;
    }

    /// <summary>The end of the turn, given its last update (the one with the finish reason).</summary>
    /// <exception cref="ArgumentException"><paramref name="final"/> has no finish reason.</exception>
    public ChatOutput Complete(GenerationUpdate final)
    {
        ArgumentNullException.ThrowIfNull(final);
        var reason = final.FinishReason ?? throw new ArgumentException("not the final update (it has no finish reason).", nameof(final));
        var (text, calls) = _toolsOffered ? Split(final.Text) : (final.Text, []);
        int shown = Math.Min(_shown, text.Length);
        _shown = text.Length;
        ChatFinish finish = reason.Kind switch
        {
            FinishKind.Abort => ChatFinish.Abort,
            FinishKind.Length => ChatFinish.Length,
            _ when calls.Any(c => c.IsValid) => ChatFinish.ToolCalls,
            _ => ChatFinish.Stop,
        };
        return new ChatOutput(text, shown, calls, finish, reason.Kind == FinishKind.Abort ? reason.Message ?? "aborted" : null);
    }

    private static (string Text, IReadOnlyList<ParsedToolCall> Calls) Split(string text)
    {
        var parsed = ToolCallParser.Parse(text);
        return (parsed.Text, parsed.ToolCalls);
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
