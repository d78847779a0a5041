using System.Text.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.Json;

/// <summary><see cref="Hosting.DllmServerOptions.MaxPromptsPerRequest"/>: checked on the prompt list's length alone, before any prompt is read.</summary>
internal static class PromptLimit
{
    /// <summary>
    /// Throws a 400 naming <paramref name="path"/> when <paramref name="prompts"/> is a list of prompts (its first item
    /// passes <paramref name="isBatch"/>) longer than <paramref name="maxPrompts"/>; a single prompt or a token list passes.
    /// </summary>
    public static void Check(JsonElement prompts, string path, int maxPrompts, Func<JsonElement, bool> isBatch)
    {
        if (prompts.ValueKind != JsonValueKind.Array || prompts.GetArrayLength() is var count && count <= maxPrompts)
            return;
        if (isBatch(prompts[0]))
            throw ApiException.BadRequest($"{path} has {count} prompts; a request may carry at most {maxPrompts} (the server's --max-prompts-per-request).", path);
    }
}
