namespace Dllm.Server.Endpoints.Generate;

/// <summary>A parsed <c>/generate</c> body.</summary>
/// <param name="Requests">One request per prompt, in input order, each with its request id.</param>
/// <param name="IsBatch">Whether the input was a list (the response is then a list, stream events carry <c>index</c>).</param>
/// <param name="Stream">Whether to answer with server-sent events.</param>
/// <param name="SamplingPerPrompt">Whether <c>sampling_params</c> was a list (one object per prompt).</param>
internal sealed record GenerateCall(IReadOnlyList<GenerateRequest> Requests, bool IsBatch, bool Stream, bool SamplingPerPrompt = false)
{
    /// <summary>How this body spells the engine's fields in errors (<c>input_ids[1]</c>, <c>sampling_params.max_new_tokens</c>).</summary>
    public Running.RequestFieldNames FieldNames =>
        Running.RequestFieldNames.Generate(inputIds: Requests[0].InputIds is not null, IsBatch, SamplingPerPrompt);
}
