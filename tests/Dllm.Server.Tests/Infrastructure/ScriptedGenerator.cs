using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Dllm.Tokenization;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// Wraps the engine to produce what a random model cannot: a prompt that offers tools gets a tool call (in two
/// blocks), <see cref="FailNow"/> in a prompt is an engine failure (<see cref="DllmGenerationException"/>, whose cause
/// holds <see cref="FailureMessage"/>) before any output, <see cref="FailLater"/> one after the first block, and
/// <see cref="CrashNow"/> an unexpected exception (a bug) with <see cref="FailureMessage"/>. Everything else goes to the engine.
/// A prompt given as ids (the chat route sends ids) is read as its decoded text. Every request is prepared by the engine
/// (so it is checked as the engine checks it) and recorded by its id.
/// </summary>
internal sealed class ScriptedGenerator(DllmEngine engine) : IDllmGenerator
{
    public const string FailNow = "FAIL_NOW";
    public const string FailLater = "FAIL_LATER";
    public const string CrashNow = "CRASH_NOW";
    public const string FailureMessage = "scripted engine failure";
    public const string ToolCallFirstBlock = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", ";
    public const string ToolCallSecondBlock = "\"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

    /// <summary>The last prompt that offered tools.</summary>
    public string? LastToolPrompt { get; private set; }

    private readonly ConcurrentDictionary<string, GenerateRequest> _received = new(StringComparer.Ordinal);

    public string ModelName => engine.ModelName;

    /// <summary>The request received with id <paramref name="requestId"/>, if any.</summary>
    public GenerateRequest? Received(string requestId) => _received.GetValueOrDefault(requestId);

    public LladaTokenizer Tokenizer => engine.Tokenizer;

    public PreparedRequest Prepare(GenerateRequest request)
    {
        var prepared = engine.Prepare(request);
        _received[prepared.RequestId] = request;
        return prepared;
    }

    public bool Abort(string requestId, string reason) => engine.Abort(requestId, reason);

    public IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(PreparedRequest request, CancellationToken cancellationToken = default)
    {
        string text = engine.Tokenizer.Decode(request.PromptIds);
        if (text.Contains(FailNow, StringComparison.Ordinal))
            throw EngineFailure(request);
        if (text.Contains(CrashNow, StringComparison.Ordinal))
            throw new InvalidOperationException(FailureMessage);
        if (text.Contains(FailLater, StringComparison.Ordinal))
            return FailAfterFirstBlockAsync(request, cancellationToken);
        if (text.Contains("<tools>", StringComparison.Ordinal))
        {
            LastToolPrompt = text;
            return ToolCallAsync(request, cancellationToken);
        }
        return engine.GenerateStreamingAsync(request, cancellationToken);
    }

    private async IAsyncEnumerable<GenerationUpdate> ToolCallAsync(PreparedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var first = Update(request, ToolCallFirstBlock, "", null);
        yield return first;
        cancellationToken.ThrowIfCancellationRequested();
        yield return Update(request, ToolCallSecondBlock, first.Text, FinishReason.StopToken(engine.Tokenizer.RoleEndTokenId));
    }

    private async IAsyncEnumerable<GenerationUpdate> FailAfterFirstBlockAsync(PreparedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        yield return Update(request, "partial", "", null);
        cancellationToken.ThrowIfCancellationRequested();
        throw EngineFailure(request);
    }

    private static DllmGenerationException EngineFailure(PreparedRequest request) =>
        new(request.RequestId, new InvalidOperationException(FailureMessage));

    private GenerationUpdate Update(PreparedRequest request, string delta, string before, FinishReason? finish)
    {
        string text = before + delta;
        return new GenerationUpdate
        {
            RequestId = request.RequestId,
            TextDelta = delta,
            NewIds = engine.Tokenizer.Encode(delta),
            Text = text,
            OutputIds = engine.Tokenizer.Encode(text),
            PromptTokens = request.PromptTokens,
            DenoisingSteps = 1,
            FinishReason = finish,
            Latency = finish is null ? null : TimeSpan.FromMilliseconds(1),
        };
    }
}
