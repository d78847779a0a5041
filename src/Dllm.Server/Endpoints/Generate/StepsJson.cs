using System.Text.Json.Nodes;

namespace Dllm.Server.Endpoints.Generate;

/// <summary>
/// The <c>meta_info.steps</c> list of a <c>/generate</c> event with <c>return_steps</c>: per denoising step
/// <c>{"step":n,"committed":[{"pos","id","text","p"}],"masks_left":m}</c>, and <c>"edited"</c> (same items) when the
/// step rewrote filled slots.
/// </summary>
internal static class StepsJson
{
    /// <summary>The list for <paramref name="steps"/>.</summary>
    public static JsonArray From(IReadOnlyList<DenoisingStep> steps) => new([.. steps.Select(Step)]);

    private static JsonNode Step(DenoisingStep step)
    {
        var result = new JsonObject { ["step"] = step.Step, ["committed"] = Tokens(step.Committed) };
        if (step.Edited.Count > 0)
            result["edited"] = Tokens(step.Edited);
        result["masks_left"] = step.MasksLeft;
        return result;
    }

    private static JsonArray Tokens(IReadOnlyList<StepToken> tokens) => new([.. tokens.Select(t => (JsonNode?)new JsonObject
    {
        ["pos"] = t.Position,
        ["id"] = t.TokenId,
        ["text"] = t.Text,
        ["p"] = Math.Round((double)t.Confidence, 4),
    })]);
}
