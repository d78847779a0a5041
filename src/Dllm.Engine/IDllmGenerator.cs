using Dllm.Tokenization;

namespace Dllm;

/// <summary>
/// What the adapters above the engine (the chat client, the HTTP server) need from it: a request checked and tokenized
/// once (<see cref="Prepare"/>), generation of a prepared request with per-block streaming, abort by id, the tokenizer
/// and the model name. <see cref="DllmEngine"/> is the implementation; tests of tool calling script a generator's output
/// at the token level, which a random model cannot produce.
/// </summary>
public interface IDllmGenerator
{
    /// <summary>The model name reported to clients.</summary>
    string ModelName { get; }

    /// <summary>The model's tokenizer.</summary>
    LladaTokenizer Tokenizer { get; }

    /// <summary>
    /// Checks <paramref name="request"/> as generation would and tokenizes its prompt, once; runs nothing. A server calls
    /// it for every prompt of an HTTP request before its response starts.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid request (the message and parameter name the field).</exception>
    PreparedRequest Prepare(GenerateRequest request);

    /// <summary>
    /// Generates for a prepared request, one update per resolved block, the last with the finish reason (an aborted
    /// request's last update has finish reason abort and the output so far). Cancelling
    /// <paramref name="cancellationToken"/> ends the request and the stream with an <see cref="OperationCanceledException"/>.
    /// </summary>
    IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(PreparedRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Aborts the running or waiting request <paramref name="requestId"/>: its stream ends with the generator's own last
    /// update, finish reason abort with <paramref name="reason"/>, and the output so far.
    /// </summary>
    /// <returns>False when no such request runs or waits.</returns>
    bool Abort(string requestId, string reason);

    /// <summary>Prepares <paramref name="request"/> and generates for it (<see cref="Prepare"/> runs when the stream is first read).</summary>
    IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerationUpdate.PrepareThenStreamAsync(this, request, cancellationToken);

    /// <summary>Generates for one prompt: by default the last update of <see cref="GenerateStreamingAsync(GenerateRequest, CancellationToken)"/> as a result.</summary>
    Task<GenerationResult> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerationUpdate.LastAsResultAsync(GenerateStreamingAsync(request, cancellationToken));
}
