using System.Text.Json;
using Dllm.Decoding;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.Sampling;

/// <summary>
/// Reads SGLang's <c>sampling_params</c> object. Implemented fields are applied; fields SGLang has that only tune the
/// distribution are ignored; fields that would change what the output must be are a 400 unless at their default;
/// names SGLang does not know are a 400 (SGLang itself rejects them), except this engine's diffusion overrides
/// <c>threshold</c> (a number) and <c>block_size</c> (an integer), whose ranges the engine checks when it prepares the request.
/// </summary>
internal static class SglangSamplingReader
{
    private static readonly Dictionary<string, SamplingField> Fields = new(SamplingFields.Common, StringComparer.Ordinal)
    {
        ["max_new_tokens"] = SamplingFields.MaxNewTokens,
        ["sampling_seed"] = SamplingFields.Seed,
    };

    /// <summary>The parameters in <paramref name="value"/> (an object at <paramref name="path"/>), validated.</summary>
    public static SglangSampling Read(JsonElement value, string path)
    {
        var sampling = new SamplingParams();
        double? threshold = null;
        int? blockSize = null;
        foreach (var field in JsonFields.Object(value, path).EnumerateObject())
        {
            string fieldPath = $"{path}.{field.Name}";
            if (field.Value.ValueKind == JsonValueKind.Null || SamplingFields.IgnoredSglang.Contains(field.Name))
                continue;
            if (field.Name == AlgorithmConfigKeys.Threshold.Name)
                threshold = JsonFields.Number(field.Value, fieldPath);
            else if (field.Name == AlgorithmConfigKeys.BlockSize.Name)
                blockSize = JsonFields.Int(field.Value, fieldPath);
            else if (Fields.TryGetValue(field.Name, out var apply))
                sampling = apply(sampling, field.Value, fieldPath);
            else if (SamplingFields.UnsupportedSglang.TryGetValue(field.Name, out var isDefault))
            {
                if (!isDefault(field.Value))
                    throw SamplingFields.Unsupported(fieldPath, $"'{field.Name}' = {field.Value.GetRawText()}");
            }
            else
                throw ApiException.BadRequest($"{fieldPath} is not a sampling parameter (known: {string.Join(", ", KnownNames())}).", fieldPath);
        }
        return new SglangSampling(SamplingFields.Validated(sampling, path + "."), threshold, blockSize);
    }

    private static IEnumerable<string> KnownNames() =>
        Fields.Keys.Append(AlgorithmConfigKeys.Threshold.Name).Append(AlgorithmConfigKeys.BlockSize.Name).Concat(SamplingFields.IgnoredSglang).Concat(SamplingFields.UnsupportedSglang.Keys).Order(StringComparer.Ordinal);
}
