using Dllm.Tokenization;

namespace Dllm.Chat;

/// <summary>
/// The chat policy's request half, one for both front doors: the conversation rendered with <see cref="ChatTemplate"/>
/// (tools in the system turn) and encoded once, content as text (<see cref="ChatPrompt.Encode"/>); generation stops at
/// the end of the assistant's turn — <c>&lt;|role_end|&gt;</c> and <c>&lt;|endoftext|&gt;</c> are always added to the
/// caller's stop ids (so <c>ignore_eos</c> only matters for a model whose config.json EOS is another id); the caller's
/// stop strings are kept, each once; tool calls are parsed from the output exactly when tools were offered.
/// </summary>
public static class ChatRequestBuilder
{
    /// <summary>The engine request for <paramref name="chat"/>, its prompt encoded with <paramref name="tokenizer"/>.</summary>
    /// <exception cref="ArgumentException">A tool's parameters schema is not valid JSON.</exception>
    public static ChatGeneration Build(ChatRequest chat, LladaTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(chat);
        ArgumentNullException.ThrowIfNull(tokenizer);
        int[] ids = ChatTemplate.RenderPrompt(chat.Turns, chat.Tools, addGenerationPrompt: true).Encode(tokenizer);
        var given = chat.Generation.Sampling;
        var sampling = given with
        {
            StopTokenIds = [.. given.StopTokenIds.Append(tokenizer.EosTokenId).Append(tokenizer.RoleEndTokenId).Distinct()],
            Stop = [.. given.Stop.Distinct(StringComparer.Ordinal)],
        };
        return new ChatGeneration(chat.Generation with { Text = null, InputIds = ids, Sampling = sampling }, chat.Tools.Count > 0);
    }
}
