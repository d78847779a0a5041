using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Dllm.Checkpoints;
using Dllm.Decoding;
using Dllm.Diagnostics;
using Dllm.Model;
using Dllm.Native;
using Dllm.Runner;
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
    private readonly PageManager _pages;
    private readonly IDiffusionAlgorithm _defaultAlgorithm;
    private readonly ConcurrentDictionary<string, EngineRequest> _active = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly EngineTelemetry _telemetry;
    private int _disposed;

    private DllmEngine(DllmEngineOptions options, ILoggerFactory loggerFactory, IProgress<CheckpointLoadProgress>? progress, CancellationToken cancellationToken)
    {
        _logger = loggerFactory.CreateLogger<DllmEngine>();
        DllmEngineOptionsValidator.ThrowIfInvalid(options);
        Options = options;
        Backend = TorchBackend.Initialize(new TorchBackendOptions { LibTorchDirectory = options.LibTorchDirectory }, _logger);
        Device = TorchDevices.Resolve(options.Device, Backend);
        if (options.CpuThreads is not null || Device.type == DeviceType.CPU)
        {
            IntraOpThreads.Set(options.CpuThreads ?? IntraOpThreads.Default);
            _logger.CpuThreadsSet(IntraOpThreads.Current, Environment.ProcessorCount, Backend.OpenMpWaitPolicy);
        }
        DType = DTypes.Resolve(options.DType, Device, "dtype");
        AlgorithmConfig = DiffusionAlgorithmConfig.Resolve(options.AlgorithmConfigPath, options.AlgorithmSettings, options.Algorithm, nameof(options.AlgorithmSettings));
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
            // Pages of the engine's block size: a block never straddles two pages, so whole blocks are cached by page.
            var (pages, sizedBy) = KvPoolSizing.Resolve(options, model, ContextLength, BlockSize);
            var cache = model.CreateCache(pages, BlockSize);
            _logger.KvCacheAllocated(pages, BlockSize, (long)pages * BlockSize, sizedBy, cache.BytesAllocated / 1e9, options.DisableRadixCache ? "off" : "on");
            _pages = new PageManager(new PagePool(pages, BlockSize), ContextLength, prefixCaching: !options.DisableRadixCache, loggerFactory.CreateLogger("Dllm.Scheduler"));
            _runner = new ModelRunner(model, cache, new TokenSampler { NativeGreedy = model.DType == TorchSharp.torch.ScalarType.BFloat16 });
            if (options.CudaGraphs && model.Device.type == DeviceType.CUDA)
            {
                var batchSizes = GraphBatchSizes.Resolve(options.CudaGraphBatchSizes, options.CudaGraphMaxBatchSize, options.MaxRunningRequests, options.CudaGraphPadding);
                if (_runner.EnableCudaGraphs(batchSizes) is string why)
                    _logger.CudaGraphsOff(why);
                else
                    _logger.CudaGraphsOn(batchSizes.ToString());
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        ModelName = options.ResolveModelName();
        _telemetry = new EngineTelemetry(ModelName);
        _scheduler = new Scheduler(_runner, _pages, options.MaxRunningRequests, Tokenizer, loggerFactory.CreateLogger("Dllm.Scheduler"), _telemetry, options.FuseCleanPass, options.MaxQueuedRequests, options.MaxPrefillTokens);
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

    /// <summary>Requests decoded together at most (the K/V pool may fit fewer).</summary>
    public int MaxRunningRequests => _scheduler.Capacity;

    /// <summary>Tokens the paged K/V pool holds (pages × page size; <see cref="DllmEngineOptions.MaxTotalTokens"/>).</summary>
    public long MaxTotalTokens => (long)_pages.Capacity * _pages.PageSize;

    /// <summary>The K/V pool's pages and the prefix cache's hits: a snapshot, thread-safe, exact while the engine is idle.</summary>
    public KvCacheStats KvCacheStats => _scheduler.KvCacheStats;

    /// <summary>Requests that may wait at once (<see cref="DllmEngineOptions.MaxQueuedRequests"/>); null: no limit.</summary>
    public int? MaxQueuedRequests => Options.MaxQueuedRequests;

    /// <summary>A test seam (see <see cref="ModelRunner.PlaceholderFusion"/>): whether mixed groups fuse their clean pass
    /// with placeholders (null: when CUDA graphs are on).</summary>
    internal bool? PlaceholderFusion
    {
        get => _runner.PlaceholderFusion;
        set => _runner.PlaceholderFusion = value;
    }

    /// <summary>A test seam (see <see cref="ModelRunner.FaultInjection"/>): called before every forward with its kind and request ids.</summary>
    internal Action<string, IReadOnlyList<string>>? FaultInjection
    {
        get => _runner.FaultInjection;
        set => _runner.FaultInjection = value;
    }

    /// <summary>Requests running now.</summary>
    public int RunningRequests => _scheduler.Running;

    /// <summary>Why the engine takes no more requests although it is not disposed, or null while it serves: its scheduler
    /// failed (logged as event 1307 <c>SchedulerFailed</c>; every request then ended with a
    /// <see cref="DllmGenerationException"/>, and generating throws this exception's kind and message). The message
    /// names the failure; health checks report it. Restart the engine to serve again.</summary>
    public InvalidOperationException? Failure => _scheduler.Failure;

    /// <summary>Requests that may still be admitted (exact while idle): a request that ended without leaving shows here as a leak.</summary>
    internal int FreeSlots => _scheduler.FreeSlots;

    /// <summary>The K/V pool's bookkeeping problems (a leaked or doubly held page); none when sound. Exact only while the
    /// engine is idle (tests call it after every request ended).</summary>
    internal IReadOnlyList<string> AuditPages() => _pages.Audit();

    /// <summary>Requests waiting for a place or for K/V pages.</summary>
    public int WaitingRequests => _scheduler.Waiting;

    /// <summary>Denoising forwards run since start.</summary>
    public long DenoisingSteps => _scheduler.Steps;

    /// <summary>Where the scheduler loop's time has gone so far (admission, steps, host resolution).</summary>
    internal Scheduling.IterationProfileSnapshot IterationProfile => _scheduler.Profile.Snapshot();

    /// <summary>The CUDA graphs: whether steps replay them, their batch sizes, and the captures so far (a snapshot,
    /// thread-safe).</summary>
    public CudaGraphStats CudaGraphStats => _runner.CudaGraphStats;

    /// <summary>The split of the steps' propose time (<see cref="Runner.ProposeProfile"/>), for benchmarks.</summary>
    internal Runner.ProposeProfileSnapshot ProposeProfile => _runner.Profile.Snapshot();

    /// <summary>Benchmarks only: steps wait for the device after their forward (<see cref="Runner.ProposeProfile.SyncAfterForward"/>).</summary>
    internal bool SyncProfile
    {
        get => _runner.Profile.SyncAfterForward;
        set => _runner.Profile.SyncAfterForward = value;
    }

    /// <summary>Generates for one prompt.</summary>
    /// <exception cref="ArgumentException">Invalid request (the message names the field).</exception>
    /// <exception cref="DllmQueueFullException">The waiting queue is full; nothing ran.</exception>
    /// <exception cref="DllmGenerationException">The engine failed while generating this request (the others go on).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the request was aborted and its pages freed.</exception>
    public Task<GenerationResult> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerationUpdate.LastAsResultAsync(GenerateStreamingAsync(request, cancellationToken));

    /// <summary>Generates for many prompts concurrently; results in input order.</summary>
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IEnumerable<GenerateRequest> requests, CancellationToken cancellationToken = default)
    {
        var tasks = requests.Select(r => GenerateAsync(r, cancellationToken)).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Prepares <paramref name="request"/> (<see cref="Prepare"/>, when the stream is first read) and generates for it.</summary>
    /// <exception cref="ArgumentException">Invalid request (the message names the field).</exception>
    /// <exception cref="DllmQueueFullException">The waiting queue is full; nothing ran.</exception>
    /// <exception cref="DllmGenerationException">The engine failed while generating this request (the others go on).</exception>
    public IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerationUpdate.PrepareThenStreamAsync(this, request, cancellationToken);

    /// <summary>
    /// Generates for a request this engine prepared, yielding one update per resolved block and a final update with the
    /// finish reason; a request aborted by <see cref="Abort(string, string)"/> (or past its deadline, or at shutdown) ends
    /// with finish reason abort and its output so far. Cancelling <paramref name="cancellationToken"/> aborts the request,
    /// frees its pages and ends the stream with an <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The request was prepared by another engine, or its id is in use by a running request.</exception>
    /// <exception cref="DllmQueueFullException">The waiting queue is full; nothing ran.</exception>
    /// <exception cref="DllmGenerationException">The engine failed while generating this request (the others go on).</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(PreparedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var engineRequest = Submit(request);
        bool finished = false;
        try
        {
            using (cancellationToken.Register(() => Abort(engineRequest, "cancelled by the caller")))
            {
                // Read to the end even after cancellation: the final (abort) update means its pages are free.
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
            // A caller that stops reading early (break, dispose) must not leave the request running, holding its pages.
            if (!finished)
                Abort(engineRequest, "the caller stopped reading the stream");
            _active.TryRemove(new KeyValuePair<string, EngineRequest>(engineRequest.Id, engineRequest));
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Aborts a running or waiting request by id; its stream ends with finish reason abort, <paramref name="reason"/>, and the output so far.</summary>
    /// <returns>False when no such request is active.</returns>
    public bool Abort(string requestId, string reason = "aborted by request")
    {
        ArgumentNullException.ThrowIfNull(requestId);
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
    /// Checks a request as generation would and tokenizes its prompt, once, without running it: exactly one of text and
    /// input_ids, the sampling parameters, token ids inside the vocabulary, the prompt + max_new_tokens + one block within
    /// the context, the per-request threshold, block size, algorithm and timeout, and an id not in use by a running
    /// request. A prompt too long for the context is rejected before it is tokenized or its ids are read. The result runs
    /// with <see cref="GenerateStreamingAsync(PreparedRequest, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid request (the message and parameter name the field).</exception>
    /// <exception cref="AlgorithmConfigException">A per-request threshold or block size out of range (the key named).</exception>
    public PreparedRequest Prepare(GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if ((request.Text is null) == (request.InputIds is null))
            throw new ArgumentException("exactly one of text and input_ids must be given.", nameof(request));
        request.Sampling.Validate();
        if (request.Timeout is TimeSpan timeout && timeout <= TimeSpan.Zero)
            throw new ArgumentException($"timeout must be positive, got {timeout.TotalSeconds} s.", "timeout");
        string id = request.RequestId ?? Guid.NewGuid().ToString("N");
        if (_active.ContainsKey(id))
            throw RequestIdInUse(id);
        var algorithm = request.Threshold is null && request.BlockSize is null && request.Algorithm is null
            ? _defaultAlgorithm
            : DiffusionAlgorithms.Create(request.Algorithm ?? _defaultAlgorithm.Name, AlgorithmConfig.WithOverrides(request.Threshold, request.BlockSize));
        int[] ids = request.Text is not null ? Encode(request.Text) : ReadIds(request.InputIds!);
        if (request.UntilContextEnd && ids.Length + algorithm.BlockSize >= ContextLength)
        {
            string field = request.Text is not null ? "text" : "input_ids";
            throw new ArgumentException(
                $"{field}: the prompt ({ids.Length} tokens) leaves no room for output: generating until the context ends needs a token and one block ({algorithm.BlockSize}) beyond it within the context length ({ContextLength}).", field);
        }
        var sampling = request.UntilContextEnd
            ? request.Sampling with { MaxNewTokens = Math.Max(0, ContextLength - ids.Length - algorithm.BlockSize) }
            : request.Sampling;
        long needed = (long)ids.Length + sampling.MaxNewTokens + algorithm.BlockSize;
        if (needed > ContextLength)
        {
            throw new ArgumentException(
                $"the prompt ({ids.Length} tokens) + max_new_tokens ({sampling.MaxNewTokens}) + one block ({algorithm.BlockSize}) exceeds the context length ({ContextLength}).", "max_new_tokens");
        }
        int pages = PageBudget.Pages(ids.Length, sampling.MaxNewTokens, algorithm.BlockSize, _pages.PageSize, ContextLength);
        if (pages > _pages.Capacity)
        {
            throw new ArgumentException(
                $"the prompt ({ids.Length} tokens) + max_new_tokens ({sampling.MaxNewTokens}), in whole blocks of {algorithm.BlockSize}, need {pages} K/V pages of {_pages.PageSize} tokens, but the pool holds {_pages.Capacity} ({MaxTotalTokens} tokens): raise --max-total-tokens (MaxTotalTokens) or ask for fewer tokens.", "max_new_tokens");
        }
        return new PreparedRequest(request, id, ids, sampling, algorithm, this);
    }

    private static ArgumentException RequestIdInUse(string id) => new($"rid '{id}' is already in use by a running request.", "rid");

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

    private EngineRequest Submit(PreparedRequest prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!ReferenceEquals(prepared.Preparer, this) || prepared.Algorithm is null)
            throw new ArgumentException("the request was prepared by another generator; prepare it with this engine.", nameof(prepared));
        string id = prepared.RequestId;
        var request = prepared.Request;
        var engineRequest = new EngineRequest(id, prepared.PromptIdArray, prepared.Sampling, prepared.Algorithm,
            Tokenizer.CreateStreamingDetokenizer(prepared.Sampling.SkipSpecialTokens), request.QueueGroup, request.Timeout,
            request.ReturnSteps ? new StepRecorder(Tokenizer) : null);
        if (!_active.TryAdd(id, engineRequest))
        {
            engineRequest.Dispose();
            throw RequestIdInUse(id);
        }
        engineRequest.Activity = _telemetry.StartRequest(id, prepared.Sampling, prepared.PromptTokens);
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
