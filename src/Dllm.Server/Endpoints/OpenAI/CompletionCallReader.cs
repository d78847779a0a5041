using System.Text.Json;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// Reads a <c>/v1/completions</c> body: <c>prompt</c> a string, a list of strings, a list of token ids or a list of
/// lists; no template is applied. The default <c>max_tokens</c> is OpenAI's 16.
/// </summary>
internal static class CompletionCallReader
{
    /// <summary>OpenAI's default length of a text completion.</summary>
    public const int DefaultMaxTokens = 16;

    private static readonly Dictionary<string, Func<JsonElement, bool>> Unsupported = new(StringComparer.Ordinal)
    {
        ["n"] = OpenAiSamplingReader.IsOne,
        ["best_of"] = OpenAiSamplingReader.IsOne,
        ["echo"] = OpenAiSamplingReader.IsFalse,
        ["logprobs"] = _ => false,
        ["suffix"] = _ => false,
    };

    /// <summary>Reads <paramref name="root"/>; a list of more than <paramref name="maxPrompts"/> prompts is a 400 before any prompt is read.</summary>
    public static CompletionCall Read(JsonElement root, int maxPrompts)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("the request body must be a JSON object.");
        var prompts = ReadPrompts(root, maxPrompts);
        var sampling = OpenAiSamplingReader.Read(root, ["max_tokens"], Unsupported);
        if (!sampling.MaxTokensGiven)
            sampling = new OpenAiSampling(sampling.Sampling with { MaxNewTokens = DefaultMaxTokens }, MaxTokensField: "max_tokens");
        bool stream = JsonFields.TryGet(root, "stream", out var s) && JsonFields.Bool(s, "stream");
        return new CompletionCall(prompts, sampling, stream, ChatCallReader.IncludeUsage(root), ChatCallReader.RequestId(root));
    }

    private static IReadOnlyList<GenerateRequest> ReadPrompts(JsonElement root, int maxPrompts)
    {
        if (!JsonFields.TryGet(root, "prompt", out var prompt))
            throw ApiException.BadRequest("prompt is required.", "prompt");
        PromptLimit.Check(prompt, "prompt", maxPrompts, isBatch: first => first.ValueKind is JsonValueKind.String or JsonValueKind.Array);
        if (prompt.ValueKind == JsonValueKind.String)
            return [new GenerateRequest { Text = prompt.GetString() }];
        var items = JsonFields.Array(prompt, "prompt").ToList();
        if (items.Count == 0)
            throw ApiException.BadRequest("prompt must not be empty.", "prompt");
        return items[0].ValueKind switch
        {
            JsonValueKind.String => [.. JsonFields.StringOrList(prompt, "prompt").Select(text => new GenerateRequest { Text = text })],
            JsonValueKind.Number => [new GenerateRequest { InputIds = JsonFields.IntList(prompt, "prompt") }],
            JsonValueKind.Array => [.. items.Select((ids, i) => new GenerateRequest { InputIds = NonEmpty(JsonFields.IntList(ids, $"prompt[{i}]"), $"prompt[{i}]") })],
            _ => throw JsonFields.WrongType("prompt[0]", "a string, a token id or a list of token ids", items[0]),
        };
    }

    private static IReadOnlyList<int> NonEmpty(IReadOnlyList<int> ids, string path) =>
        ids.Count > 0 ? ids : throw ApiException.BadRequest($"{path} must not be empty.", path);
}
