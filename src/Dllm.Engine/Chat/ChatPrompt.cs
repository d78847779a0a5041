using Dllm.Tokenization;

namespace Dllm.Chat;

/// <summary>
/// A conversation rendered by <see cref="ChatTemplate"/>, kept as segments: the template's own text, where the control
/// tokens it writes (<c>&lt;role&gt;</c>, <c>&lt;|role_end|&gt;</c>, <c>&lt;tool_call&gt;</c>, ...) become control tokens,
/// and the conversation's content (message text, tool definitions, tool-call names and arguments, tool results), which
/// is always encoded as text. Encode it with <see cref="Encode"/>; <see cref="Text"/> is for display.
/// </summary>
public sealed class ChatPrompt
{
    internal ChatPrompt(IReadOnlyList<PromptSegment> segments)
    {
        Segments = segments;
        Text = string.Concat(segments.Select(s => s.Text));
    }

    /// <summary>The template and content segments, in prompt order.</summary>
    public IReadOnlyList<PromptSegment> Segments { get; }

    /// <summary>The whole prompt as one string (what <see cref="ChatTemplate.Render"/> returns).</summary>
    public string Text { get; }

    /// <summary>
    /// The prompt's token ids: control tokens only where the template writes them, content as text. When the content
    /// holds no control-token string, exactly <c>tokenizer.Encode(Text)</c>.
    /// </summary>
    public int[] Encode(LladaTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer.Encode(Segments);
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
