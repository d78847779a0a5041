using System.Text.Json;
using Dllm.Decoding;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Dllm.Server.Endpoints.Sampling;

namespace Dllm.Server.Endpoints.Generate;

/// <summary>
/// Reads SGLang's <c>/generate</c> body: <c>text</c> (string or list) or <c>input_ids</c> (list of ints or list of
/// lists), exactly one; <c>sampling_params</c> (object, or a list with one object per prompt; with this engine's <c>threshold</c> and <c>block_size</c>); <c>rid</c> (string, or a
/// list for a batch); <c>stream</c>; <c>return_steps</c> (this engine's per-step records, streams only). Other top-level fields SGLang has are ignored, except the ones asking for
/// something this server cannot return (multimodal inputs, logprobs, hidden states, LoRA), which are a 400.
/// </summary>
internal static class GenerateCallReader
{
    private static readonly Dictionary<string, Func<JsonElement, bool>> UnsupportedFields = new(StringComparer.Ordinal)
    {
        ["input_embeds"] = _ => false,
        ["image_data"] = _ => false,
        ["audio_data"] = _ => false,
        ["video_data"] = _ => false,
        ["lora_path"] = _ => false,
        ["return_logprob"] = v => v.ValueKind == JsonValueKind.False,
        ["return_hidden_states"] = v => v.ValueKind == JsonValueKind.False,
    };

    /// <summary>Reads <paramref name="root"/>; a list of more than <paramref name="maxPrompts"/> prompts is a 400 before any prompt is read.</summary>
    public static GenerateCall Read(JsonElement root, int maxPrompts)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("the request body must be a JSON object.");
        foreach (var (name, isDefault) in UnsupportedFields)
        {
            if (JsonFields.TryGet(root, name, out var value) && !isDefault(value))
                throw SamplingFields.Unsupported(name, $"'{name}'");
        }
        var (prompts, isBatch) = ReadPrompts(root, maxPrompts);
        var sampling = ReadSampling(root, prompts.Count, isBatch);
        var ids = ReadRequestIds(root, prompts.Count, isBatch);
        bool stream = JsonFields.TryGet(root, "stream", out var streamValue) && JsonFields.Bool(streamValue, "stream");
        bool returnSteps = ReadReturnSteps(root, stream);
        var requests = prompts.Select((prompt, i) => prompt with { Sampling = sampling[i].Params, Threshold = sampling[i].Threshold, BlockSize = sampling[i].BlockSize, RequestId = ids[i], ReturnSteps = returnSteps }).ToList();
        bool samplingPerPrompt = JsonFields.TryGet(root, "sampling_params", out var samplingValue) && samplingValue.ValueKind == JsonValueKind.Array;
        return new GenerateCall(requests, isBatch, stream, samplingPerPrompt);
    }

    /// <summary><c>return_steps</c>: a boolean; true only with <c>stream</c> (the step records ride on the events).</summary>
    private static bool ReadReturnSteps(JsonElement root, bool stream)
    {
        bool returnSteps = JsonFields.TryGet(root, "return_steps", out var value) && JsonFields.Bool(value, "return_steps");
        return !returnSteps || stream
            ? returnSteps
            : throw ApiException.BadRequest("return_steps needs \"stream\": true (the step records ride on the stream's events).", "return_steps");
    }

    private static (IReadOnlyList<GenerateRequest> Prompts, bool IsBatch) ReadPrompts(JsonElement root, int maxPrompts)
    {
        bool hasText = JsonFields.TryGet(root, "text", out var text);
        bool hasIds = JsonFields.TryGet(root, "input_ids", out var ids);
        if (hasText == hasIds)
            throw ApiException.BadRequest($"exactly one of text and input_ids must be given ({(hasText ? "both were" : "neither was")}).", "text");
        if (hasText)
        {
            PromptLimit.Check(text, "text", maxPrompts, isBatch: _ => true);
            return ReadTexts(text);
        }
        PromptLimit.Check(ids, "input_ids", maxPrompts, isBatch: first => first.ValueKind == JsonValueKind.Array);
        return ReadIds(ids);
    }

    private static (IReadOnlyList<GenerateRequest>, bool) ReadTexts(JsonElement text)
    {
        if (text.ValueKind == JsonValueKind.String)
            return ([new GenerateRequest { Text = text.GetString() }], false);
        var texts = text.ValueKind == JsonValueKind.Array
            ? JsonFields.StringOrList(text, "text")
            : throw JsonFields.WrongType("text", "a string or a list of strings", text);
        return texts.Count > 0
            ? ([.. texts.Select(t => new GenerateRequest { Text = t })], true)
            : throw ApiException.BadRequest("text must not be an empty list.", "text");
    }

    private static (IReadOnlyList<GenerateRequest>, bool) ReadIds(JsonElement ids)
    {
        var items = JsonFields.Array(ids, "input_ids").ToList();
        if (items.Count == 0)
            throw ApiException.BadRequest("input_ids must not be empty.", "input_ids");
        if (items[0].ValueKind != JsonValueKind.Array)
            return ([PromptFromIds(ids, "input_ids")], false);
        return ([.. items.Select((item, i) => PromptFromIds(item, $"input_ids[{i}]"))], true);
    }

    private static GenerateRequest PromptFromIds(JsonElement ids, string path)
    {
        var list = JsonFields.IntList(ids, path);
        return list.Count > 0 ? new GenerateRequest { InputIds = list } : throw ApiException.BadRequest($"{path} must not be empty.", path);
    }

    private static IReadOnlyList<SglangSampling> ReadSampling(JsonElement root, int count, bool isBatch)
    {
        if (!JsonFields.TryGet(root, "sampling_params", out var value))
            return [.. Enumerable.Repeat(new SglangSampling(new SamplingParams()), count)];
        if (value.ValueKind == JsonValueKind.Object)
            return [.. Enumerable.Repeat(SglangSamplingReader.Read(value, "sampling_params"), count)];
        if (value.ValueKind != JsonValueKind.Array)
            throw JsonFields.WrongType("sampling_params", "an object or a list of objects", value);
        var list = value.EnumerateArray().Select((item, i) => SglangSamplingReader.Read(item, $"sampling_params[{i}]")).ToList();
        return list.Count == count
            ? list
            : throw ApiException.BadRequest($"sampling_params has {list.Count} entries for {count} prompt{(count == 1 ? "" : "s")}{(isBatch ? "" : " (a single prompt takes an object)")}.", "sampling_params");
    }

    private static IReadOnlyList<string> ReadRequestIds(JsonElement root, int count, bool isBatch)
    {
        if (!JsonFields.TryGet(root, "rid", out var value))
            return [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid().ToString("N"))];
        var ids = isBatch
            ? value.ValueKind == JsonValueKind.Array ? JsonFields.StringOrList(value, "rid") : throw JsonFields.WrongType("rid", "a list of strings for a list input", value)
            : [JsonFields.String(value, "rid")];
        if (ids.Count != count)
            throw ApiException.BadRequest($"rid has {ids.Count} entries for {count} prompts.", "rid");
        if (ids.Any(string.IsNullOrEmpty))
            throw GenerationRunner.EmptyRequestId();
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
            throw ApiException.BadRequest("rid has the same id twice.", "rid");
        return ids;
    }
}
