namespace Dllm.Chat;

/// <summary>One <c>&lt;tool_call&gt;…&lt;/tool_call&gt;</c> block found in generated text.</summary>
/// <param name="Name">The tool name; null when the block could not be read.</param>
/// <param name="ArgumentsJson">The arguments as JSON text (<c>{}</c> when the call has none); null when the block could not be read.</param>
/// <param name="RawText">The whole block as generated, tags included.</param>
/// <param name="Error">Why the block could not be read (malformed JSON, no name, no closing tag); null when it could.</param>
public sealed record ParsedToolCall(string? Name, string? ArgumentsJson, string RawText, string? Error)
{
    /// <summary>Whether the block was read into a name and arguments.</summary>
    public bool IsValid => Error is null;
}
