using Dllm.Decoding;
using Dllm.Tokenization;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Requests;

/// <summary>
/// Maps <see cref="ChatOptions"/> onto an engine request: Temperature, TopP, TopK, MaxOutputTokens, StopSequences and
/// Seed onto <see cref="SamplingParams"/>; the diffusion knobs of <see cref="DllmChatOptionKeys"/> from the additional
/// properties; a <see cref="SamplingParams"/> returned by <see cref="ChatOptions.RawRepresentationFactory"/> as the
/// starting point. Generation always stops on EOS and on <c>&lt;|role_end|&gt;</c>, the end of the assistant's turn.
/// Options with no engine counterpart (penalties, response format, ...) are ignored.
/// </summary>
internal static class GenerateRequestFactory
{
    /// <summary>The request for the prompt <paramref name="promptIds"/> under <paramref name="options"/>.</summary>
    public static GenerateRequest Create(IChatClient client, IReadOnlyList<int> promptIds, ChatOptions? options, DllmChatClientOptions clientOptions,
        LladaTokenizer tokenizer, string requestId)
    {
        SamplingParams baseline = options?.RawRepresentationFactory?.Invoke(client) as SamplingParams
            ?? (clientOptions.DefaultMaxOutputTokens is int max ? SamplingParams.Default with { MaxNewTokens = max } : SamplingParams.Default);
        AdditionalPropertiesDictionary? properties = options?.AdditionalProperties;
        SamplingParams sampling = baseline with
        {
            MaxNewTokens = options?.MaxOutputTokens ?? baseline.MaxNewTokens,
            Temperature = options?.Temperature ?? baseline.Temperature,
            TopP = options?.TopP ?? baseline.TopP,
            TopK = options?.TopK ?? baseline.TopK,
            MinP = AdditionalPropertyReader.GetNumber(properties, DllmChatOptionKeys.MinP) ?? baseline.MinP,
            Seed = options?.Seed ?? baseline.Seed,
            Stop = [.. baseline.Stop.Concat(options?.StopSequences ?? []).Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal)],
            StopTokenIds = [.. baseline.StopTokenIds.Append(tokenizer.EosTokenId).Append(tokenizer.RoleEndTokenId).Distinct()],
            IgnoreEos = false,
        };
        return new GenerateRequest
        {
            InputIds = promptIds,
            Sampling = sampling,
            RequestId = requestId,
            Threshold = AdditionalPropertyReader.GetNumber(properties, DllmChatOptionKeys.Threshold),
            BlockSize = AdditionalPropertyReader.GetInteger(properties, DllmChatOptionKeys.BlockSize),
            Algorithm = AdditionalPropertyReader.GetString(properties, DllmChatOptionKeys.Algorithm),
        };
    }
}
