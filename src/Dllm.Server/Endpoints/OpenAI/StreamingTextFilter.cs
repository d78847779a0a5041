using Dllm.Tokenization;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// Turns the cumulative text of a prompt's updates into OpenAI deltas, holding back what may still change: the last
/// characters that could begin a stop string (trimmed from the final text), and, when tools are offered, everything
/// from a <c>&lt;tool_call&gt;</c> tag on (or a partial tag at the end, or trailing whitespace before it), which becomes
/// <c>tool_calls</c> at the end instead of text.
/// </summary>
internal sealed class StreamingTextFilter(bool holdToolCalls, IReadOnlyList<string> stopStrings)
{
    private const string Tag = LladaTokens.ToolCallOpen;
    private readonly int _holdBack = stopStrings.Count == 0 ? 0 : stopStrings.Max(s => s.Length) - 1;
    private int _sent;

    /// <summary>The delta to send for the cumulative text of a running request (may be empty).</summary>
    public string Next(string text)
    {
        int limit = text.Length - _holdBack;
        if (holdToolCalls)
        {
            int open = text.IndexOf(Tag, StringComparison.Ordinal);
            limit = Math.Min(limit, open >= 0 ? open : text.Length - PartialTagLength(text));
            while (limit > _sent && char.IsWhiteSpace(text[limit - 1]))
                limit--;
        }
        if (limit > 0 && limit < text.Length && char.IsHighSurrogate(text[limit - 1]))
            limit--;
        if (limit <= _sent)
            return "";
        string delta = text[_sent..limit];
        _sent = limit;
        return delta;
    }

    /// <summary>What is left to send of the final content.</summary>
    public string Rest(string finalContent) => finalContent.Length > _sent ? finalContent[_sent..] : "";

    private static int PartialTagLength(string text)
    {
        for (int length = Math.Min(Tag.Length - 1, text.Length); length > 0; length--)
        {
            if (text.AsSpan(text.Length - length).SequenceEqual(Tag.AsSpan(0, length)))
                return length;
        }
        return 0;
    }
}
