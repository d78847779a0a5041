using System.Runtime.CompilerServices;
using Dllm.Tokenization;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// A generator that produces one block (<see cref="FirstBlock"/>) and then waits until it is cancelled: a request
/// that is certainly still running when a test aborts it, whatever a random model would have sampled.
/// </summary>
internal sealed class StallingGenerator(DllmEngine engine) : IDllmGenerator
{
    public const string FirstBlock = "partial answer";

    public string ModelName => engine.ModelName;

    public LladaTokenizer Tokenizer => engine.Tokenizer;

    public async IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        yield return new GenerationUpdate
        {
            RequestId = request.RequestId!,
            TextDelta = FirstBlock,
            NewIds = engine.Tokenizer.Encode(FirstBlock),
            Text = FirstBlock,
            OutputIds = engine.Tokenizer.Encode(FirstBlock),
            PromptTokens = request.InputIds?.Count ?? engine.Tokenizer.Encode(request.Text!).Length,
            DenoisingSteps = 1,
        };
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
