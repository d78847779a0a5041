using System.Text.Json;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Sampling;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// Reads the sampling fields of an OpenAI request: <c>max_tokens</c> (chat also <c>max_completion_tokens</c>, which
/// wins), <c>temperature</c>, <c>top_p</c>, <c>stop</c>, <c>seed</c>, and SGLang's extensions <c>top_k</c>, <c>min_p</c>,
/// <c>stop_token_ids</c>, <c>ignore_eos</c>, <c>skip_special_tokens</c>, <c>no_stop_trim</c>. Fields asking for a
/// response shape this server cannot give (<c>n</c> &gt; 1, logprobs, echo, ...) are a 400; every other field
/// (penalties, <c>user</c>, <c>store</c>, ...) is ignored, as OpenAI SDKs send many.
/// </summary>
internal static class OpenAiSamplingReader
{
    private static readonly Dictionary<string, SamplingField> Fields = new(SamplingFields.Common, StringComparer.Ordinal)
    {
        ["seed"] = SamplingFields.Seed,
    };

    /// <summary>Reads <paramref name="root"/>; <paramref name="maxTokenFields"/> are the length fields in rising priority;
    /// <paramref name="unsupported"/> maps fields to the check that their value is the default.</summary>
    public static OpenAiSampling Read(JsonElement root, IReadOnlyList<string> maxTokenFields, IReadOnlyDictionary<string, Func<JsonElement, bool>> unsupported)
    {
        foreach (var (name, isDefault) in unsupported)
        {
            if (JsonFields.TryGet(root, name, out var value) && !isDefault(value))
                throw SamplingFields.Unsupported(name, $"'{name}' = {value.GetRawText()}");
        }
        var sampling = new Decoding.SamplingParams();
        foreach (var (name, apply) in Fields)
        {
            if (JsonFields.TryGet(root, name, out var value))
                sampling = apply(sampling, value, name);
        }
        string? maxField = null;
        foreach (string name in maxTokenFields)
        {
            if (JsonFields.TryGet(root, name, out var value))
            {
                sampling = SamplingFields.MaxNewTokens(sampling, value, name);
                maxField = sampling.MaxNewTokens >= 0 ? name : throw ApiException.BadRequest($"{name} must be >= 0, got {sampling.MaxNewTokens}.", name);
            }
        }
        return new OpenAiSampling(SamplingFields.Validated(sampling, ""), maxField);
    }

    /// <summary>True for a JSON <c>1</c> (the default of <c>n</c>).</summary>
    public static bool IsOne(JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n == 1;

    /// <summary>True for JSON <c>false</c>.</summary>
    public static bool IsFalse(JsonElement value) => value.ValueKind == JsonValueKind.False;
}
