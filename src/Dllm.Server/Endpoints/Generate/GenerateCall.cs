namespace Dllm.Server.Endpoints.Generate;

/// <summary>A parsed <c>/generate</c> body.</summary>
/// <param name="Requests">One request per prompt, in input order, each with its request id.</param>
/// <param name="IsBatch">Whether the input was a list (the response is then a list, stream events carry <c>index</c>).</param>
/// <param name="Stream">Whether to answer with server-sent events.</param>
internal sealed record GenerateCall(IReadOnlyList<GenerateRequest> Requests, bool IsBatch, bool Stream);
