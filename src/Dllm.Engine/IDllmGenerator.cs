using Dllm.Tokenization;

namespace Dllm;

/// <summary>
/// What the adapters above the engine (the chat client, the HTTP server) need from it: generation with
/// per-block streaming, the tokenizer and the model name. <see cref="DllmEngine"/> is the implementation;
/// tests of tool calling script a generator's output at the token level, which a random model cannot produce.
/// </summary>
public interface IDllmGenerator
{
    /// <summary>The model name reported to clients.</summary>
    string ModelName { get; }

    /// <summary>The model's tokenizer.</summary>
    LladaTokenizer Tokenizer { get; }

    /// <summary>Generates for one prompt: by default the last update of <see cref="GenerateStreamingAsync"/> as a result.</summary>
    Task<GenerationResult> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerationUpdate.LastAsResultAsync(GenerateStreamingAsync(request, cancellationToken));

    /// <summary>Generates for one prompt, one update per resolved block, the last with the finish reason.</summary>
    IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(GenerateRequest request, CancellationToken cancellationToken = default);
}
