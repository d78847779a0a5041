using Dllm.Diagnostics;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// <c>LLaDA2MoeModelLM</c> on TorchSharp: embeddings, decoder layers (block-causal attention over a K/V
/// cache, dense or MoE MLP), final norm, lm_head. One <see cref="Forward"/> serves a whole batch of
/// sequences, each with its own cached prefix: prompt prefill, denoising steps and the clean-K/V pass.
/// </summary>
public sealed class LLaDA2Model : IDisposable
{
    private readonly Tensor _embeddings;    // [V, H]
    private readonly Tensor _lmHead;        // [V, H] (the embeddings when tied)
    private readonly RmsNorm _finalNorm;
    private readonly DecoderLayer[] _layers;
    private readonly RotaryEmbedding[] _ropes; // one per placement stage

    private LLaDA2Model(LLaDA2Config config, ScalarType dtype, ModelPlacement placement, IWeightSource source, ILogger logger, bool trainable = false)
    {
        Config = config;
        DType = dtype;
        Placement = placement;
        var watch = Stopwatch.StartNew();
        // Inference tensors cannot take part in autograd: a trainable model is built from ordinary ones.
        using IDisposable mode = trainable ? no_grad() : inference_mode();
        var names = new HashSet<string>();
        var loaders = placement.Stages.Select(stage => new WeightLoader(source, dtype, stage.Device, name => names.Add(name))).ToArray();
        _embeddings = loaders[0].Read(LLaDA2TensorNames.WordEmbeddings, config.VocabSize, config.HiddenSize);
        _layers = new DecoderLayer[config.NumHiddenLayers];
        for (int s = 0; s < placement.Stages.Count; s++)
        {
            for (int layer = placement.Stages[s].FirstLayer; layer < placement.Stages[s].EndLayer; layer++)
            {
                _layers[layer] = new DecoderLayer(config, layer, loaders[s]);
                logger.LayerLoaded(layer + 1, config.NumHiddenLayers, placement.Stages[s].Device, watch.Elapsed.TotalSeconds);
            }
        }
        _finalNorm = new RmsNorm(loaders[^1].Read(LLaDA2TensorNames.FinalNorm, config.HiddenSize), config.RmsNormEps);
        _lmHead = config.TieWordEmbeddings ? _embeddings.to(placement.OutputDevice) : loaders[^1].Read(LLaDA2TensorNames.LmHead, config.VocabSize, config.HiddenSize);
        _ropes = placement.Stages.Select(stage => new RotaryEmbedding(config.RotaryDim, config.RopeTheta, config.MaxPositionEmbeddings, stage.Device)).ToArray();
        TensorNamesRead = names.ToArray();
    }

    /// <summary>The model's config.</summary>
    public LLaDA2Config Config { get; }

    /// <summary>The run dtype of weights and activations (logits are always fp32).</summary>
    public ScalarType DType { get; }

    /// <summary>Where the embeddings live (the first placement stage's device).</summary>
    public Device Device => Placement.InputDevice;

    /// <summary>Where each range of layers lives.</summary>
    public ModelPlacement Placement { get; }

    /// <summary>Every checkpoint tensor the model read (to detect unexpected tensors in a checkpoint).</summary>
    public IReadOnlyList<string> TensorNamesRead { get; }

    /// <summary>Builds the model, reading every weight from <paramref name="source"/> (a checkpoint or random).</summary>
    public static LLaDA2Model Load(LLaDA2Config config, IWeightSource source, ScalarType dtype, Device device, ILogger? logger = null)
    {
        return Load(config, source, dtype, ModelPlacement.Single(config, device), logger);
    }

    /// <summary>Builds the model with its layers split over devices as <paramref name="placement"/> says.</summary>
    public static LLaDA2Model Load(LLaDA2Config config, IWeightSource source, ScalarType dtype, ModelPlacement placement, ILogger? logger = null)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"dtype {dtype} is not supported; use float32, bfloat16 or float16.", nameof(dtype));
        return new LLaDA2Model(config, dtype, placement, source, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Builds a float32 model on one device whose weights are ordinary tensors (not inference tensors), for a
    /// training run: <see cref="TrainableTensors"/> are marked <c>requires_grad</c>, <see cref="TrainingForward"/>
    /// runs with autograd and <see cref="ExportWeights"/> gives the weights back under their checkpoint names.
    /// </summary>
    internal static LLaDA2Model LoadTrainable(LLaDA2Config config, IWeightSource source, Device device, ILogger? logger = null)
    {
        var model = new LLaDA2Model(config, ScalarType.Float32, ModelPlacement.Single(config, device), source, logger ?? NullLogger.Instance, trainable: true);
        foreach (var tensor in model.TrainableTensors)
            tensor.requires_grad_(true);
        return model;
    }

    /// <summary>
    /// The tensors a training run updates: embeddings, norms, projections, router gates and experts (each exactly once;
    /// lm_head only when untied). Left as loaded: the qk-norm weights (stored expanded per head) and the router's
    /// selection bias (no gradient reaches it).
    /// </summary>
    internal IReadOnlyList<Tensor> TrainableTensors =>
    [
        _embeddings,
        .. _layers.SelectMany(layer => layer.Trainable()),
        _finalNorm.Weight,
        .. ReferenceEquals(_lmHead, _embeddings) ? Array.Empty<Tensor>() : [_lmHead],
    ];

    /// <summary>The router selection bias [E] of each MoE layer (training balances expert load through it).</summary>
    internal IReadOnlyList<Tensor> RouterBiases => [.. _layers.SelectMany(layer => layer.RouterBias is { } bias ? [bias] : Array.Empty<Tensor>())];

    /// <summary>Every weight under its checkpoint name, in <see cref="Checkpoints.LLaDA2CheckpointLayout"/> order, as
    /// detached views of the run tensors (fused projections split back, stacked experts unstacked).</summary>
    internal IEnumerable<(string Name, Tensor Weight)> ExportWeights()
    {
        yield return (LLaDA2TensorNames.WordEmbeddings, _embeddings.detach());
        for (int layer = 0; layer < _layers.Length; layer++)
        {
            foreach (var (name, weight) in _layers[layer].Export(layer))
                yield return (name, weight.detach());
        }
        yield return (LLaDA2TensorNames.FinalNorm, _finalNorm.Weight.detach());
        if (!Config.TieWordEmbeddings)
            yield return (LLaDA2TensorNames.LmHead, _lmHead.detach());
    }

    /// <summary>
    /// A forward over whole sequences with an explicit attention mask and no K/V cache, recorded by autograd when grad
    /// mode is on: the same layers, norms and routing as <see cref="Forward"/>. Routed experts run as
    /// <see cref="MoePath.AllExperts"/> (it reads the stacked experts directly, so every expert gets its gradient).
    /// </summary>
    /// <param name="tokenIds">[B·n] token ids.</param>
    /// <param name="positions">[B·n] RoPE positions.</param>
    /// <param name="mask">[n·n] true where query i may attend to key j (row-major [n, n]), the same for every sequence.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="length">n.</param>
    /// <returns>fp32 logits [B, n, V].</returns>
    internal Tensor TrainingForward(long[] tokenIds, long[] positions, bool[] mask, int batchSize, int length)
    {
        using var batch = BatchGeometry.ForTraining(tokenIds, positions, mask, batchSize, length, Device);
        return Run(batch, cache: null, writeCache: false, computeLogits: true, MoePath.AllExperts)!;
    }

    /// <summary>Allocates a K/V cache for this model (each layer's part on that layer's device).</summary>
    public KvCache CreateCache(int slots, int maxLength) => new(Config, slots, maxLength, DType, Placement);

    /// <summary>
    /// Captures steps in CUDA graphs from now on (<see cref="ForwardGraphs"/>): a forward that computes logits is
    /// replayed from a graph of its shape instead of issued op by op. Needs a single-device CUDA model and
    /// <c>libdllm_cuda.so</c> (<see cref="CudaNative"/>); returns why not otherwise, and the model stays eager.
    /// </summary>
    /// <param name="maxGraphs">Graphs kept (least recently used ones are freed).</param>
    /// <returns>Null when graphs are on, else the reason they are not.</returns>
    public string? EnableCudaGraphs(int maxGraphs = ForwardGraphs.DefaultCapacity)
    {
        if (Placement.Stages.Count != 1)
            return "CUDA graphs need the whole model on one device (this model is split over several)";
        if (Device.type != DeviceType.CUDA)
            return $"CUDA graphs need a CUDA device (the model is on {Device})";
        if (!CudaNative.IsAvailable)
            return CudaNative.UnavailableReason;
        _graphs ??= new ForwardGraphs(this, maxGraphs);
        return null;
    }

    /// <summary>Frees every captured graph; forwards run op by op again.</summary>
    public void DisableCudaGraphs()
    {
        _graphs?.Dispose();
        _graphs = null;
    }

    /// <summary>Whether steps are replayed from CUDA graphs (<see cref="EnableCudaGraphs"/>).</summary>
    public bool UsesCudaGraphs => _graphs is not null;

    /// <summary>Graphs captured so far (for benchmarks and logs).</summary>
    public int CudaGraphsCaptured => _graphs?.Captured ?? 0;

    private ForwardGraphs? _graphs;

    /// <summary>The MoE path <paramref name="path"/> stands for in a forward of <paramref name="tokens"/> tokens.</summary>
    public MoePath ResolveMoePath(MoePath path, long tokens)
    {
        if (path != MoePath.Auto)
            return path;
        bool manyTokens = tokens > MoeExperts.GroupedPathMinTokens;
        if (CudaNative.Serves(Device) && DType == ScalarType.BFloat16)
            return UsesCudaGraphs || manyTokens ? MoePath.GroupedGemm : MoePath.AllExperts; // eager: the fewest ops
        return manyTokens ? MoePath.GroupedByExpert : MoePath.AllExperts;
    }

    /// <summary>
    /// Runs the new tokens of every request through the model. Attention: a new token sees its request's
    /// cached prefix and the new tokens of earlier or the same block (block size <paramref name="blockSize"/>).
    /// With CUDA graphs on, the returned logits view a buffer that the next forward of the same batch shape
    /// overwrites: read them before the next forward.
    /// </summary>
    /// <param name="requests">The batch; every request brings the same number of new tokens.</param>
    /// <param name="cache">K/V of the prefixes; with <paramref name="writeCache"/> the new tokens' K/V are stored.</param>
    /// <param name="blockSize">Diffusion block size B.</param>
    /// <param name="writeCache">Store the new tokens' K/V at their positions (prefill, clean pass).</param>
    /// <param name="computeLogits">Run the final norm and lm_head (not needed for a prefill).</param>
    /// <param name="moePath">How routed experts are computed.</param>
    /// <returns>fp32 logits [B, n, V], or null when <paramref name="computeLogits"/> is false.</returns>
    public Tensor? Forward(IReadOnlyList<ForwardRequest> requests, KvCache cache, int blockSize, bool writeCache, bool computeLogits = true, MoePath moePath = MoePath.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requests.Count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        foreach (var request in requests)
        {
            if (request.Slot < 0 || request.Slot >= cache.Slots)
                throw new ArgumentOutOfRangeException(nameof(requests), $"slot {request.Slot} is not in the cache (0..{cache.Slots - 1})");
            var bad = request.TokenIds.FirstOrDefault(id => id < 0 || id >= Config.VocabSize, -1);
            if (bad != -1)
                throw new ArgumentOutOfRangeException(nameof(requests), $"token id {bad} is outside the vocabulary (0..{Config.VocabSize - 1})");
        }
        var path = ResolveMoePath(moePath, (long)requests.Count * requests[0].TokenIds.Length);
        using var inference = inference_mode();
        if (computeLogits && _graphs is not null && ForwardGraphs.CanCapture(path))
            return _graphs.Run(requests, cache, blockSize, writeCache, path);
        using var batch = new BatchGeometry(new BatchLayout(requests, blockSize, cache.MaxLength), Device);
        return Run(batch, cache, writeCache, computeLogits, path);
    }

    /// <summary>
    /// The forward itself, on a geometry already on the first stage's device; issues only device work (no host
    /// syncs), so that it can be captured. Logits go to <paramref name="logitsInto"/> ([B, n, V] fp32) when given.
    /// </summary>
    internal Tensor? Run(BatchGeometry first, KvCache? cache, bool writeCache, bool computeLogits, MoePath path, Tensor? logitsInto = null)
    {
        using var scope = NewDisposeScope();
        int groups = Config.NumAttentionHeads / Config.NumKeyValueHeads;
        Tensor? hidden = null;
        var batch = first;
        try
        {
            for (int s = 0; s < Placement.Stages.Count; s++)
            {
                var stage = Placement.Stages[s];
                // Later stages get a device copy of the geometry, not a rebuild on the host.
                if (s > 0)
                {
                    var previous = batch;
                    batch = batch.On(stage.Device);
                    if (!ReferenceEquals(previous, first))
                        previous.Dispose();
                }
                batch.FoldMask(groups);
                var (cos, sin) = _ropes[s].Lookup(batch.Positions);
                // Activations cross to the next stage's device once per boundary.
                hidden = hidden is null ? _embeddings.index_select(0, batch.TokenIds) : hidden.to(stage.Device);
                for (int layer = stage.FirstLayer; layer < stage.EndLayer; layer++)
                {
                    var next = _layers[layer].Forward(hidden, batch, _ropes[s], cos, sin, cache, writeCache, path);
                    hidden.Dispose();
                    hidden = next;
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(batch, first))
                batch.Dispose();
        }
        if (!computeLogits)
            return null;
        var projected = nn.functional.linear(_finalNorm.Forward(hidden!), _lmHead);
        if (logitsInto is not null)
        {
            logitsInto.view(projected.shape).copy_(projected);
            return null;
        }
        return projected.to(ScalarType.Float32).view(first.BatchSize, first.NewTokens, Config.VocabSize).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var layer in _layers)
            layer.Dispose();
        _finalNorm.Dispose();
        if (!ReferenceEquals(_lmHead, _embeddings))
            _lmHead.Dispose();
        _embeddings.Dispose();
        foreach (var rope in _ropes)
            rope.Dispose();
        _graphs?.Dispose();
    }
}
