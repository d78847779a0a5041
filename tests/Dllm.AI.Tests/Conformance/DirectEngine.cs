using Dllm.Chat;
using Dllm.Decoding;

namespace Dllm.AI.Tests.Conformance;

/// <summary>What the engine itself answers for a conversation: the reference the client's answers are checked against.</summary>
internal static class DirectEngine
{
    public static string Prompt(params ChatTurn[] turns) => ChatTemplate.Render(turns);

    public static Task<GenerationResult> GenerateAsync(DllmEngine engine, string prompt, int maxNewTokens, IReadOnlyList<string>? stop = null) =>
        engine.GenerateAsync(GenerateRequest.FromText(prompt, new SamplingParams
        {
            MaxNewTokens = maxNewTokens,
            StopTokenIds = [engine.Tokenizer.EosTokenId, engine.Tokenizer.RoleEndTokenId],
            Stop = stop ?? [],
        }));
}
