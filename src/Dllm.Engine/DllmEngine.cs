using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Dllm.Checkpoints;
using Dllm.Decoding;
using Dllm.Diagnostics;
using Dllm.Model;
using Dllm.Native;
using Dllm.Scheduling;
using Dllm.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Dllm;

/// <summary>
/// The diffusion LLM engine (the counterpart of SGLang's <c>sgl.Engine</c>): loads a LLaDA2 checkpoint,
/// and generates for any number of concurrent callers with block diffusion decoding and continuous batching.
/// Thread-safe; one background thread owns the device. Dispose to stop it and free the device memory.
/// </summary>
public sealed class DllmEngine : IDllmGenerator, IDisposable, IAsyncDisposable
{
    private readonly Scheduler _scheduler;
    private readonly ModelRunner _runner;
    private readonly IDiffusionAlgorithm _defaultAlgorithm;
    private readonly ConcurrentDictionary<string, EngineRequest> _active = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly EngineTelemetry _telemetry;
    private int _disposed;

    private DllmEngine(DllmEngineOptions options, ILoggerFactory loggerFactory, IProgress<CheckpointLoadProgress>? progress, CancellationToken cancellationToken)
    {
        _logger = loggerFactory.CreateLogger<DllmEngine>();
        if (options.MaxRunningRequests < 1)
            throw new ArgumentException($"max_running_requests must be at least 1 (got {options.MaxRunningRequests}).", nameof(options));
        if (options.MaxQueuedRequests < 1)
            throw new ArgumentException($"max_queued_requests must be at least 1 or unset (got {options.MaxQueuedRequests}).", nameof(options));
        if (!Directory.Exists(options.ModelPath))
            throw new DirectoryNotFoundException($"model path '{options.ModelPath}' does not exist or is not a directory.");
        Options = options;
        Backend = TorchBackend.Initialize(new TorchBackendOptions { LibTorchDirectory = options.LibTorchDirectory }, _logger);
        Device = TorchDevices.Resolve(options.Device, Backend);
        if (options.CpuThreads is < 1)
            throw new ArgumentException($"cpu_threads must be at least 1, got {options.CpuThreads}.", nameof(options));
        if (options.CpuThreads is not null || Device.type == DeviceType.CPU)
        {
            IntraOpThreads.Set(options.CpuThreads ?? IntraOpThreads.Default);
            _logger.CpuThreadsSet(IntraOpThreads.Current, Environment.ProcessorCount, Backend.OpenMpWaitPolicy);
        }
        DType = DTypes.Resolve(options.DType, Device, "dtype");
        AlgorithmConfig = options.AlgorithmConfig
            ?? (options.AlgorithmConfigPath is string path ? DiffusionAlgorithmConfig.LoadFile(path, options.Algorithm) : DiffusionAlgorithmConfig.Default);
        _defaultAlgorithm = DiffusionAlgorithms.Create(options.Algorithm, AlgorithmConfig);
        Tokenizer = LladaTokenizer.FromFile(Path.Combine(options.ModelPath, "tokenizer.json"));
        var format = options.LoadFormat == LoadFormat.Auto ? LoadFormat.Safetensors : options.LoadFormat;
        cancellationToken.ThrowIfCancellationRequested();
        var model = ModelLoader.Load(options.ModelPath, format, DType, config => Place(config, options), loggerFactory.CreateLogger("Dllm.ModelLoader"),
            options.DummySeed, options.DummyLogitSharpness, progress, cancellationToken);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            ModelConfig = model.Config;
            if (Tokenizer.MaskTokenId != ModelConfig.MaskTokenId)
                _logger.MaskIdMismatch(Tokenizer.MaskTokenId, ModelConfig.MaskTokenId);
            ContextLength = options.ContextLength ?? Math.Min(ModelConfig.MaxPositionEmbeddings, 8192);
            if (ContextLength < 2 * _defaultAlgorithm.BlockSize || ContextLength > ModelConfig.MaxPositionEmbeddings)
                throw new ArgumentException($"context_length {ContextLength} must be between 2 blocks ({2 * _defaultAlgorithm.BlockSize}) and max_position_embeddings ({ModelConfig.MaxPositionEmbeddings}).", nameof(options));
            if (options.CudaGraphs && model.Device.type == DeviceType.CUDA)
            {
                if (model.EnableCudaGraphs() is string why)
                    _logger.CudaGraphsOff(why);
                else
                    _logger.CudaGraphsOn();
            }
            var cache = model.CreateCache(options.MaxRunningRequests, ContextLength);
            _logger.KvCacheAllocated(options.MaxRunningRequests, ContextLength, cache.BytesAllocated / 1e9);
            _runner = new ModelRunner(model, cache);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        ModelName = options.ResolveModelName();
        _telemetry = new EngineTelemetry(ModelName);
        _scheduler = new Scheduler(_runner, Tokenizer, new TokenSampler(), loggerFactory.CreateLogger("Dllm.Scheduler"), _telemetry, options.FuseCleanPass, options.MaxQueuedRequests);
        _telemetry.Observe(_scheduler);
    }

    private ModelPlacement Place(LLaDA2Config config, DllmEngineOptions options)
    {
        if (options.DeviceMap is string map)
            return ModelPlacement.Parse(config, map);
        if (options.Gpus is int gpus && gpus > 1)
        {
            if (gpus > Backend.CudaDeviceCount)
                throw new ArgumentException($"gpus: {gpus} requested but {Backend.CudaDeviceCount} CUDA device(s) are visible.", nameof(options));
            return ModelPlacement.Balanced(config, Enumerable.Range(0, gpus).Select(i => new torch.Device(DeviceType.CUDA, i)).ToList());
        }
        return ModelPlacement.Single(config, Device);
    }

    /// <summary>
    /// Loads the model and starts the engine (blocking work runs on a pool thread). <paramref name="cancellationToken"/>
    /// is checked between tensors: a cancelled load frees what it loaded and ends with <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the engine started.</exception>
    public static Task<DllmEngine> CreateAsync(DllmEngineOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => new DllmEngine(options, loggerFactory ?? NullLoggerFactory.Instance, progress: null, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Loads the model as <see cref="CreateAsync(DllmEngineOptions, ILoggerFactory?, CancellationToken)"/> does, reporting
    /// each tensor read (tensors and bytes done of the total) to <paramref name="progress"/>, on the loading thread.
    /// Dummy weights (<see cref="LoadFormat.Dummy"/>) report nothing.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the engine started.</exception>
    public static Task<DllmEngine> CreateAsync(DllmEngineOptions options, IProgress<CheckpointLoadProgress> progress, ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        return Task.Run(() => new DllmEngine(options, loggerFactory ?? NullLoggerFactory.Instance, progress, cancellationToken), cancellationToken);
    }

    /// <summary>The options the engine was created with.</summary>
    public DllmEngineOptions Options { get; }

    /// <summary>The model's config.json.</summary>
    public LLaDA2Config ModelConfig { get; }

    /// <summary>The model's tokenizer.</summary>
    public LladaTokenizer Tokenizer { get; }

    /// <summary>The model name reported to clients.</summary>
    public string ModelName { get; }

    /// <summary>The effective algorithm settings.</summary>
    public DiffusionAlgorithmConfig AlgorithmConfig { get; }

    /// <summary>The algorithm's name.</summary>
    public string AlgorithmName => _defaultAlgorithm.Name;

    /// <summary>The block size of the default algorithm.</summary>
    public int BlockSize => _defaultAlgorithm.BlockSize;

    /// <summary>What the native backend loaded.</summary>
    public TorchBackendReport Backend { get; }

    /// <summary>The device the model runs on.</summary>
    public torch.Device Device { get; }

    /// <summary>The run dtype.</summary>
    public torch.ScalarType DType { get; }

    /// <summary>Longest prompt + generation per request.</summary>
    public int ContextLength { get; }

    /// <summary>Requests decoded together.</summary>
    public int MaxRunningRequests => _scheduler.Capacity;

    /// <summary>Requests that may wait at once (<see cref="DllmEngineOptions.MaxQueuedRequests"/>); null: no limit.</summary>
    public int? MaxQueuedRequests => Options.MaxQueuedRequests;

    /// <summary>A test seam (see <see cref="ModelRunner.FaultInjection"/>): called before every forward with its kind and request ids.</summary>
    internal Action<string, IReadOnlyList<string>>? FaultInjection
    {
        get => _runner.FaultInjection;
        set => _runner.FaultInjection = value;
    }

    /// <summary>Requests running now.</summary>
    public int RunningRequests => _scheduler.Running;

    /// <summary>Free K/V cache slots (exact while idle): a slot not returned by a finished request shows here as a leak.</summary>
    internal int FreeSlots => _scheduler.FreeSlots;

    /// <summary>Requests waiting for a slot.</summary>
    public int WaitingRequests => _scheduler.Waiting;

    /// <summary>Denoising forwards run since start.</summary>
    public long DenoisingSteps => _scheduler.Steps;

    /// <summary>Generates for one prompt.</summary>
    /// <exception cref="ArgumentException">Invalid request (the message names the field).</exception>
    /// <exception cref="DllmQueueFullException">The waiting queue is full; nothing ran.</exception>
    /// <exception cref="DllmGenerationException">The engine failed while generating this request (the others go on).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the request was aborted and its slot freed.</exception>
    public Task<GenerationResult> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerationUpdate.LastAsResultAsync(GenerateStreamingAsync(request, cancellationToken));

    /// <summary>Generates for many prompts concurrently; results in input order.</summary>
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IEnumerable<GenerateRequest> requests, CancellationToken cancellationToken = default)
    {
        var tasks = requests.Select(r => GenerateAsync(r, cancellationToken)).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Generates for one prompt, yielding one update per resolved block and a final update with the finish reason.</summary>
    /// <exception cref="ArgumentException">Invalid request (the message names the field).</exception>
    /// <exception cref="DllmQueueFullException">The waiting queue is full; nothing ran.</exception>
    /// <exception cref="DllmGenerationException">The engine failed while generating this request (the others go on).</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var engineRequest = Submit(request);
        bool finished = false;
        try
        {
            using (cancellationToken.Register(() => Abort(engineRequest, "cancelled by the caller")))
            {
                // Read to the end even after cancellation: the final (abort) update means the slot is free.
                await foreach (var update in engineRequest.Updates.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    finished |= update.FinishReason is not null;
                    if (cancellationToken.IsCancellationRequested)
                        continue;
                    yield return update;
                }
            }
        }
        finally
        {
            // A caller that stops reading early (break, dispose) must not leave the request running in its slot.
            if (!finished)
                Abort(engineRequest, "the caller stopped reading the stream");
            _active.TryRemove(new KeyValuePair<string, EngineRequest>(engineRequest.Id, engineRequest));
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Aborts a running or waiting request by id; its result ends with finish reason abort.</summary>
    /// <returns>False when no such request is active.</returns>
    public bool Abort(string requestId, string reason = "aborted by request")
    {
        if (!_active.TryGetValue(requestId, out var request))
            return false;
        Abort(request, reason);
        return true;
    }

    private void Abort(EngineRequest request, string reason)
    {
        request.Cancel(reason);
        _scheduler.Wake();
    }

    /// <summary>
    /// Checks a request as generation would, without running it: exactly one of text and input_ids, the sampling
    /// parameters, token ids inside the vocabulary, the prompt + max_new_tokens + one block within the context,
    /// the per-request threshold, block size and timeout. Lets a server reject a bad request before it starts a response.
    /// A prompt too long for the context is rejected before it is tokenized or its ids are read.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid request (the message names the field).</exception>
    public void Validate(GenerateRequest request) => Prepare(request);

    private (int[] Ids, IDiffusionAlgorithm Algorithm) Prepare(GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if ((request.Text is null) == (request.InputIds is null))
            throw new ArgumentException("exactly one of text and input_ids must be given.", nameof(request));
        request.Sampling.Validate();
        if (request.Timeout is TimeSpan timeout && timeout <= TimeSpan.Zero)
            throw new ArgumentException($"timeout must be positive, got {timeout.TotalSeconds} s.", "timeout");
        var algorithm = request.Threshold is null && request.BlockSize is null && request.Algorithm is null
            ? _defaultAlgorithm
            : DiffusionAlgorithms.Create(request.Algorithm ?? _defaultAlgorithm.Name, AlgorithmConfig.WithOverrides(request.Threshold, request.BlockSize));
        int[] ids = request.Text is not null ? Encode(request.Text) : ReadIds(request.InputIds!);
        long needed = (long)ids.Length + request.Sampling.MaxNewTokens + algorithm.BlockSize;
        if (needed > ContextLength)
        {
            throw new ArgumentException(
                $"the prompt ({ids.Length} tokens) + max_new_tokens ({request.Sampling.MaxNewTokens}) + one block ({algorithm.BlockSize}) exceeds the context length ({ContextLength}).", "max_new_tokens");
        }
        return (ids, algorithm);
    }

    /// <summary>Tokenizes a text prompt, unless its length alone proves it cannot fit the context: every token covers at
    /// most <see cref="LladaTokenizer.MaxTokenBytes"/> bytes, so the text needs at least
    /// <see cref="LladaTokenizer.MinimumTokenCount"/> tokens (one pass over the text, not a tokenization). A text that
    /// passes is at most <see cref="ContextLength"/> × <see cref="LladaTokenizer.MaxTokenBytes"/> bytes long, which bounds
    /// the cost of tokenizing it.</summary>
    private int[] Encode(string text)
    {
        long atLeast = Tokenizer.MinimumTokenCount(text);
        if (atLeast > ContextLength)
        {
            throw new ArgumentException(
                $"text: the prompt ({Encoding.UTF8.GetByteCount(text)} bytes of UTF-8, so at least {atLeast} tokens of at most {Tokenizer.MaxTokenBytes} bytes each) alone exceeds the context length ({ContextLength}).", "text");
        }
        return Tokenizer.Encode(text);
    }

    /// <summary>Copies token ids after checking their count against the context, then each id against the vocabulary.</summary>
    private int[] ReadIds(IReadOnlyList<int> inputIds)
    {
        if (inputIds.Count > ContextLength)
            throw new ArgumentException($"input_ids: the prompt ({inputIds.Count} tokens) alone exceeds the context length ({ContextLength}).", "input_ids");
        int[] ids = [.. inputIds];
        foreach (int token in ids)
        {
            if (token < 0 || token >= ModelConfig.VocabSize)
                throw new ArgumentException($"input_ids: token id {token} is outside the vocabulary (0..{ModelConfig.VocabSize - 1}).", "input_ids");
        }
        return ids;
    }

    private EngineRequest Submit(GenerateRequest request)
    {
        var (ids, algorithm) = Prepare(request);
        string id = request.RequestId ?? Guid.NewGuid().ToString("N");
        var engineRequest = new EngineRequest(id, ids, request.Sampling, algorithm, Tokenizer.CreateStreamingDetokenizer(request.Sampling.SkipSpecialTokens),
            request.QueueGroup, request.Timeout);
        if (!_active.TryAdd(id, engineRequest))
        {
            engineRequest.Dispose();
            throw new ArgumentException($"rid '{id}' is already in use by a running request.", nameof(request));
        }
        engineRequest.Activity = _telemetry.StartRequest(id, request, ids.Length);
        try
        {
            _scheduler.Submit(engineRequest);
        }
        catch (Exception e)
        {
            EngineTelemetry.Reject(engineRequest.Activity, e);
            _active.TryRemove(new KeyValuePair<string, EngineRequest>(id, engineRequest));
            engineRequest.Dispose();
            throw;
        }
        return engineRequest;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _scheduler.Dispose();
        _telemetry.Dispose();
        _runner.Dispose();
        _logger.EngineStopped();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
