using System.Text.Json;
using Dllm.Decoding;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.Sampling;

/// <summary>
/// The sampling fields the engine implements, by their wire names, shared by <c>/generate</c>'s
/// <c>sampling_params</c> and the OpenAI routes (which name the length and seed fields differently), and the
/// fields SGLang or OpenAI accept that this engine does not implement.
/// </summary>
internal static class SamplingFields
{
    /// <summary>Fields with the same name and meaning in SGLang's <c>sampling_params</c> and in the OpenAI routes.</summary>
    public static IReadOnlyDictionary<string, SamplingField> Common { get; } = new Dictionary<string, SamplingField>(StringComparer.Ordinal)
    {
        ["temperature"] = (s, v, p) => s with { Temperature = JsonFields.Number(v, p) },
        ["top_p"] = (s, v, p) => s with { TopP = JsonFields.Number(v, p) },
        ["top_k"] = (s, v, p) => s with { TopK = JsonFields.Int(v, p) },
        ["min_p"] = (s, v, p) => s with { MinP = JsonFields.Number(v, p) },
        ["stop"] = (s, v, p) => s with { Stop = JsonFields.StringOrList(v, p) },
        ["stop_token_ids"] = (s, v, p) => s with { StopTokenIds = JsonFields.IntList(v, p) },
        ["ignore_eos"] = (s, v, p) => s with { IgnoreEos = JsonFields.Bool(v, p) },
        ["skip_special_tokens"] = (s, v, p) => s with { SkipSpecialTokens = JsonFields.Bool(v, p) },
        ["no_stop_trim"] = (s, v, p) => s with { NoStopTrim = JsonFields.Bool(v, p) },
    };

    /// <summary>The most tokens to generate.</summary>
    public static SamplingField MaxNewTokens { get; } = (s, v, p) => s with { MaxNewTokens = JsonFields.Int(v, p) };

    /// <summary>The sampling seed.</summary>
    public static SamplingField Seed { get; } = (s, v, p) => s with { Seed = JsonFields.Long(v, p) };

    /// <summary>
    /// Fields that only shift the token distribution (penalties, logit bias) or the output's pacing, which this
    /// engine does not implement: accepted and ignored, so existing clients keep working.
    /// </summary>
    public static IReadOnlySet<string> IgnoredSglang { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "frequency_penalty", "presence_penalty", "repetition_penalty", "logit_bias",
        "spaces_between_special_tokens", "stream_interval", "custom_params",
    };

    /// <summary>
    /// Fields that change what the output must be (constrained decoding, several samples, a minimum length):
    /// ignoring them would return something the client did not ask for, so any value but the default is a 400.
    /// The value is the check that a given value is the default.
    /// </summary>
    public static IReadOnlyDictionary<string, Func<JsonElement, bool>> UnsupportedSglang { get; } = new Dictionary<string, Func<JsonElement, bool>>(StringComparer.Ordinal)
    {
        ["n"] = v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n == 1,
        ["min_new_tokens"] = v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n == 0,
        ["json_schema"] = _ => false,
        ["regex"] = _ => false,
        ["ebnf"] = _ => false,
        ["structural_tag"] = _ => false,
        ["stop_regex"] = _ => false,
    };

    /// <summary>A 400 for a field this engine cannot honour.</summary>
    public static ApiException Unsupported(string path, string what) =>
        ApiException.BadRequest($"{path}: {what} is not supported by this engine.", path);

    /// <summary>Checks the finished parameters; range errors name the field under <paramref name="prefix"/>.</summary>
    public static SamplingParams Validated(SamplingParams sampling, string prefix)
    {
        try
        {
            sampling.Validate();
            return sampling;
        }
        catch (ArgumentException e) when (e.ParamName is string field)
        {
            string path = prefix + field;
            string message = e.Message.Replace($" (Parameter '{field}')", "", StringComparison.Ordinal);
            throw ApiException.BadRequest(message.StartsWith(field, StringComparison.Ordinal) ? prefix + message : message, path);
        }
    }
}
