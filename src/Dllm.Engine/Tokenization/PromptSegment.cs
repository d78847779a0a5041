namespace Dllm.Tokenization;

/// <summary>
/// A piece of a prompt for <see cref="LladaTokenizer.Encode(IEnumerable{PromptSegment})"/>: template text, in which
/// added tokens written as text (such as <c>&lt;|role_end|&gt;</c>) become their ids, or content, which is always
/// encoded as plain text.
/// </summary>
/// <param name="Text">The text of the piece.</param>
/// <param name="IsContent">Content (encoded as text, no added token matched) rather than template text.</param>
public readonly record struct PromptSegment(string Text, bool IsContent)
{
    /// <summary>Template text: the added tokens written in it become control tokens.</summary>
    public static PromptSegment Template(string text) => new(text, IsContent: false);

    /// <summary>Content: encoded as text, so a control-token string in it stays text.</summary>
    public static PromptSegment Content(string text) => new(text, IsContent: true);
}
