namespace Dllm.Server.Endpoints.Running;

/// <summary>An engine update for the prompt at <paramref name="Index"/> of a batch.</summary>
/// <param name="Index">The prompt's position in the request.</param>
/// <param name="Update">The cumulative state after a resolved block; the last has the finish reason.</param>
/// <param name="Elapsed">Time since the batch started (SGLang's <c>e2e_latency</c>).</param>
internal sealed record PromptUpdate(int Index, GenerationUpdate Update, TimeSpan Elapsed);
