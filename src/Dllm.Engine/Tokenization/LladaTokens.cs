namespace Dllm.Tokenization;

/// <summary>
/// The text of the LLaDA2 control tokens and the pre-tokenizer pattern of its tokenizer.json. Only the
/// contents live here: ids are always looked up in the tokenizer's <c>added_tokens</c>.
/// </summary>
public static class LladaTokens
{
    /// <summary>Beginning of text (<c>bos_token</c>; never added automatically).</summary>
    public const string StartOfText = "<|startoftext|>";

    /// <summary>End of text: the EOS and pad token.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>The mask token that diffusion decoding fills in.</summary>
    public const string Mask = "<|mask|>";

    /// <summary>Opens a role name in the chat template (<c>&lt;role&gt;HUMAN&lt;/role&gt;</c>).</summary>
    public const string RoleOpen = "<role>";

    /// <summary>Closes a role name in the chat template.</summary>
    public const string RoleClose = "</role>";

    /// <summary>Ends a chat turn; the model also stops on it.</summary>
    public const string RoleEnd = "<|role_end|>";

    /// <summary>Opens a tool call in an assistant turn.</summary>
    public const string ToolCallOpen = "<tool_call>";

    /// <summary>Closes a tool call.</summary>
    public const string ToolCallClose = "</tool_call>";

    /// <summary>Opens a tool result in an observation turn.</summary>
    public const string ToolResponseOpen = "<tool_response>";

    /// <summary>Closes a tool result.</summary>
    public const string ToolResponseClose = "</tool_response>";

    /// <summary>
    /// The pre-tokenizer split regex as Hugging Face writes it (possessive quantifiers; digits one at a time).
    /// A tokenizer.json's own <c>pre_tokenizer</c> section always wins over this copy.
    /// </summary>
    public const string PreTokenizerPattern =
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";
}
