using System.Text.Json.Nodes;
using Dllm.Server.Endpoints.Running;

namespace Dllm.Server.Endpoints.Generate;

/// <summary>
/// SGLang's <c>/generate</c> output object: cumulative <c>text</c> and <c>output_ids</c>, and <c>meta_info</c> (id,
/// finish_reason, prompt/completion/cached tokens, e2e_latency in seconds, and this engine's denoising_steps, and its
/// step records, <c>steps</c> (<see cref="StepsJson"/>), when the request asked for them);
/// <c>index</c> is added for the events of a list input.
/// </summary>
internal static class GenerateJson
{
    /// <summary>The object for <paramref name="update"/>.</summary>
    public static JsonObject From(PromptUpdate update, bool withIndex)
    {
        var state = update.Update;
        var result = new JsonObject
        {
            ["text"] = state.Text,
            ["output_ids"] = new JsonArray([.. state.OutputIds.Select(id => (JsonNode?)id)]),
            ["meta_info"] = new JsonObject
            {
                ["id"] = state.RequestId,
                ["finish_reason"] = FinishReasonJson.From(state.FinishReason),
                ["prompt_tokens"] = state.PromptTokens,
                ["completion_tokens"] = state.OutputIds.Count,
                ["cached_tokens"] = state.CachedTokens,
                ["e2e_latency"] = Math.Round(update.Elapsed.TotalSeconds, 4),
                ["denoising_steps"] = state.DenoisingSteps,
            },
        };
        if (state.Steps is not null)
            result["meta_info"]!["steps"] = StepsJson.From(state.Steps);
        if (withIndex)
            result["index"] = update.Index;
        return result;
    }
}
