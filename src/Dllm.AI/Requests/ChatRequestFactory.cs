using Dllm.Chat;
using Dllm.Decoding;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Requests;

/// <summary>
/// Maps <see cref="ChatOptions"/> onto the chat request: Temperature, TopP, TopK, MaxOutputTokens, StopSequences and
/// Seed onto <see cref="SamplingParams"/>; the diffusion knobs and the step report of <see cref="DllmChatOptionKeys"/> from the additional
/// properties; a <see cref="SamplingParams"/> returned by <see cref="ChatOptions.RawRepresentationFactory"/> as the
/// starting point. The stop rules of a chat (end of turn) are the chat policy's (<see cref="ChatRequestBuilder"/>).
/// Options with no engine counterpart (penalties, response format, ...) are ignored.
/// </summary>
internal static class ChatRequestFactory
{
    /// <summary>The chat request for the conversation <paramref name="rendered"/> under <paramref name="options"/>.</summary>
    public static ChatRequest Create(IChatClient client, ChatRequest rendered, ChatOptions? options, DllmChatClientOptions clientOptions, string requestId)
    {
        var raw = options?.RawRepresentationFactory?.Invoke(client) as SamplingParams;
        SamplingParams baseline = raw
            ?? (clientOptions.DefaultMaxOutputTokens is int max ? SamplingParams.Default with { MaxNewTokens = max } : SamplingParams.Default);
        // No limit anywhere: the answer runs to its end of turn, at most to the end of the context (as the
        // /v1/chat/completions route without max_tokens).
        bool untilContextEnd = raw is null && clientOptions.DefaultMaxOutputTokens is null && options?.MaxOutputTokens is null;
        AdditionalPropertiesDictionary? properties = options?.AdditionalProperties;
        SamplingParams sampling = baseline with
        {
            MaxNewTokens = options?.MaxOutputTokens ?? baseline.MaxNewTokens,
            Temperature = options?.Temperature ?? baseline.Temperature,
            TopP = options?.TopP ?? baseline.TopP,
            TopK = options?.TopK ?? baseline.TopK,
            MinP = AdditionalPropertyReader.GetNumber(properties, DllmChatOptionKeys.MinP) ?? baseline.MinP,
            Seed = options?.Seed ?? baseline.Seed,
            Stop = [.. baseline.Stop.Concat(options?.StopSequences ?? []).Where(s => !string.IsNullOrEmpty(s))],
        };
        return rendered with
        {
            Generation = new GenerateRequest
            {
                Sampling = sampling,
                UntilContextEnd = untilContextEnd,
                RequestId = requestId,
                Threshold = AdditionalPropertyReader.GetNumber(properties, DllmChatOptionKeys.Threshold),
                BlockSize = AdditionalPropertyReader.GetInteger(properties, DllmChatOptionKeys.BlockSize),
                Algorithm = AdditionalPropertyReader.GetString(properties, DllmChatOptionKeys.Algorithm),
                ReturnSteps = AdditionalPropertyReader.GetBoolean(properties, DllmChatOptionKeys.ReturnSteps) ?? false,
            },
        };
    }
}
