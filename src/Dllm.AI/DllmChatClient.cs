using System.Runtime.CompilerServices;
using Dllm.AI.Messages;
using Dllm.Chat;
using Dllm.AI.Requests;
using Dllm.AI.Responses;
using Dllm.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Dllm.AI;

/// <summary>
/// An <see cref="IChatClient"/> over the Dllm diffusion engine (LLaDA2). Messages are rendered with the LLaDA chat
/// template and sent as token ids, their content encoded as text (a control-token string such as
/// <c>&lt;|role_end|&gt;</c> in a message or a tool result never becomes a control token), <see cref="ChatOptions"/> become the engine's sampling settings (see <see cref="DllmChatOptionKeys"/> for
/// the diffusion knobs), and the output streams one update per resolved diffusion block. When tools are offered, the
/// model's <c>&lt;tool_call&gt;</c> blocks come back as <see cref="FunctionCallContent"/>s, so the client works under
/// <c>UseFunctionInvocation()</c>. Thread-safe; the engine batches concurrent calls.
/// </summary>
public sealed class DllmChatClient : IChatClient
{
    /// <summary>The provider name reported in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "dllm";

    private readonly IDllmGenerator? _generator;
    private readonly DllmEngineProvider? _engineProvider;
    private readonly IDisposable? _owned;
    private readonly DllmChatClientOptions _options;
    private int _disposed;

    /// <summary>A client over <paramref name="generator"/> (usually a <see cref="DllmEngine"/>), which the caller keeps owning.</summary>
    public DllmChatClient(IDllmGenerator generator, DllmChatClientOptions? options = null)
        : this(generator ?? throw new ArgumentNullException(nameof(generator)), engineProvider: null, options, owned: null)
    {
    }

    /// <summary>
    /// A client over the application's shared engine (loaded on first use); the caller (normally the DI container)
    /// keeps owning <paramref name="engineProvider"/>.
    /// </summary>
    public DllmChatClient(DllmEngineProvider engineProvider, DllmChatClientOptions? options = null)
        : this(generator: null, engineProvider ?? throw new ArgumentNullException(nameof(engineProvider)), options, owned: null)
    {
    }

    private DllmChatClient(IDllmGenerator? generator, DllmEngineProvider? engineProvider, DllmChatClientOptions? options, IDisposable? owned)
    {
        _generator = generator;
        _engineProvider = engineProvider;
        _options = options ?? new DllmChatClientOptions();
        _owned = owned;
    }

    /// <summary>Loads an engine from <paramref name="engineOptions"/> and returns a client that owns it (disposing the client disposes the engine).</summary>
    public static async Task<DllmChatClient> CreateAsync(DllmEngineOptions engineOptions, DllmChatClientOptions? options = null,
        ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        DllmEngine engine = await DllmEngine.CreateAsync(engineOptions, loggerFactory, cancellationToken).ConfigureAwait(false);
        return new DllmChatClient(engine, engineProvider: null, options, owned: engine);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The same as collecting <see cref="GetStreamingResponseAsync"/>: one assistant message, its usage and finish reason;
    /// with <see cref="DllmChatOptionKeys.ReturnSteps"/>, all the denoising steps, in order, under
    /// <see cref="DllmChatUpdateKeys.Steps"/> of the response's additional properties.
    /// </remarks>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        List<DenoisingStep>? steps = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            if (update.RawRepresentation is GenerationUpdate { Steps: { } updateSteps })
                (steps ??= []).AddRange(updateSteps);
        }
        var response = updates.ToChatResponse();
        if (steps is not null)
            (response.AdditionalProperties ??= [])[DllmChatUpdateKeys.Steps] = steps;
        return response;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One update per resolved block; the last carries the finish reason and the usage. Cancelling aborts the request
    /// in the engine and frees its slot before the <see cref="OperationCanceledException"/> surfaces.
    /// </remarks>
    /// <exception cref="ArgumentException">An option has an invalid value (the message names it).</exception>
    /// <exception cref="InvalidOperationException">The engine aborted the generation (it failed or is shutting down).</exception>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        IDllmGenerator generator = await GetGeneratorAsync(cancellationToken).ConfigureAwait(false);
        string responseId = $"chatcmpl-{Guid.NewGuid():N}";
        ChatRequest chat = ChatRequestFactory.Create(this, ChatMessageRenderer.Render(messages, options), options, _options, responseId);
        ChatGeneration generation = ChatRequestBuilder.Build(chat, generator.Tokenizer);
        var builder = new ResponseUpdateBuilder(responseId, $"msg-{Guid.NewGuid():N}", options?.ModelId ?? generator.ModelName,
            DateTimeOffset.UtcNow, generation.CreateGate());
        await foreach (GenerationUpdate update in generator.GenerateStreamingAsync(generation.Request, cancellationToken).ConfigureAwait(false))
            yield return builder.Next(update);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Answers <see cref="ChatClientMetadata"/> (provider <see cref="ProviderName"/>, the served model name), this
    /// client, the <see cref="DllmEngineProvider"/> it was given, and the engine or generator (once loaded).
    /// </remarks>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(ChatClientMetadata))
            return new ChatClientMetadata(ProviderName, providerUri: null, _generator?.ModelName ?? _engineProvider!.Options.ResolveModelName());
        if (serviceType.IsInstanceOfType(this))
            return this;
        if (serviceType.IsInstanceOfType(_engineProvider))
            return _engineProvider;
        IDllmGenerator? generator = _generator ?? _engineProvider?.Engine;
        return serviceType.IsInstanceOfType(generator) ? generator : null;
    }

    /// <summary>Disposes the engine if this client created it (<see cref="CreateAsync"/>); nothing else. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _owned?.Dispose();
    }

    private async ValueTask<IDllmGenerator> GetGeneratorAsync(CancellationToken cancellationToken) =>
        _generator ?? await _engineProvider!.GetEngineAsync(cancellationToken).ConfigureAwait(false);
}
