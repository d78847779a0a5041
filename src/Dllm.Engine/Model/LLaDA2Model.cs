using Dllm.Diagnostics;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Dllm.Runner;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// <c>LLaDA2MoeModelLM</c> on TorchSharp: embeddings, decoder layers (block-causal attention over a K/V
/// cache, dense or MoE MLP), final norm, lm_head. One forward serves a whole batch of sequences, each
/// with its own cached prefix: prompt prefill, denoising steps and the clean-K/V pass. The model runner
/// (<see cref="Runner.ForwardRunner"/>) prepares a forward's inputs; the model only runs the network.
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
    /// mode is on: the same layers, norms and routing as the serving forward. Routed experts run as
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
        return Forward(batch, cache: null, writeCache: false, computeLogits: true, MoePath.AllExperts)!;
    }

    /// <summary>Allocates a K/V cache of <paramref name="pages"/> pages of <paramref name="pageSize"/> positions for this
    /// model (each layer's part on that layer's device), and <see cref="KvCache.DefaultScratchPages"/> scratch pages for
    /// padding rows. One page per sequence as long as the context is the unpaged layout.</summary>
    public KvCache CreateCache(int pages, int pageSize) => new(Config, pages, pageSize, DType, Placement);

    /// <summary>
    /// Runs the new tokens of a batch that the runner prepared (<see cref="Runner.ForwardRunner"/>: a geometry already on
    /// the first stage's device) through the model. Attention: a new token sees its request's cached prefix and the new
    /// tokens of earlier or the same block. Issues only device work (no host syncs), so that it can be captured. Logits
    /// are in the model's dtype (<see cref="LogitsProjection"/>) and go to <paramref name="logitsInto"/>
    /// ([B, n - logitsFrom, V], contiguous) when given (null is returned then).
    /// </summary>
    /// <param name="first">The batch's ids, positions, cache rows and mask.</param>
    /// <param name="cache">K/V of the prefixes; with <paramref name="writeCache"/> the new tokens' K/V are stored.</param>
    /// <param name="writeCache">Store the new tokens' K/V at their rows (prefill, clean pass).</param>
    /// <param name="computeLogits">Run the final norm and lm_head (not needed for a prefill).</param>
    /// <param name="path">How routed experts are computed (resolved: not <see cref="MoePath.Auto"/>).</param>
    /// <param name="logitsInto">A buffer for the logits, or null.</param>
    /// <param name="logitsFrom">The first new token of each request whose logits are computed (a fused clean pass needs
    /// only its current block's: the final norm and lm_head run on the rest alone).</param>
    /// <returns>Logits [B, n - logitsFrom, V] in <see cref="LogitsProjection.DTypeFor"/> the model's dtype, or null.</returns>
    internal Tensor? Forward(BatchGeometry first, KvCache? cache, bool writeCache, bool computeLogits, MoePath path, Tensor? logitsInto = null,
        int logitsFrom = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logitsFrom);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(logitsFrom, first.NewTokens);
        using var scope = NewDisposeScope();
        int groups = Config.NumAttentionHeads / Config.NumKeyValueHeads;
        Tensor? hidden = null, delta = null;
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
                // The paged kernel reads the keys' visibility as it is; only SDPA needs the whole (GQA-folded) mask.
                batch.AttendsInPlace = PagedAttention.Applies(batch, cache, Config, DType, stage.Device);
                if (!batch.AttendsInPlace)
                    batch.BuildMask(groups, DType);
                var (cos, sin) = _ropes[s].Lookup(batch.Positions);
                // Activations cross to the next stage's device once per boundary, summed there: a layer's output is
                // its two terms (residual, delta), which the next layer's input norm adds as it normalises.
                if (hidden is not null && delta is not null)
                {
                    hidden = DecoderLayer.Sum(hidden, delta);
                    delta.Dispose();
                    delta = null;
                }
                hidden = hidden is null ? _embeddings.index_select(0, batch.TokenIds) : hidden.to(stage.Device);
                for (int layer = stage.FirstLayer; layer < stage.EndLayer; layer++)
                {
                    var (residual, next) = _layers[layer].Forward(hidden, delta, batch, _ropes[s], cos, sin, cache, writeCache, path);
                    hidden.Dispose();
                    delta?.Dispose();
                    (hidden, delta) = (residual, next);
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
        int logitsTokens = first.NewTokens - logitsFrom;
        // The last layer's two terms: added by the final norm, or first, and only the logits' rows normalised.
        Tensor normed;
        if (logitsFrom == 0)
            normed = delta is null ? _finalNorm.Forward(hidden!) : _finalNorm.AddForward(hidden!, delta).Normed;
        else
        {
            var summed = delta is null ? hidden! : DecoderLayer.Sum(hidden!, delta);
            normed = _finalNorm.Forward(summed.view(first.BatchSize, first.NewTokens, -1).narrow(1, logitsFrom, logitsTokens).reshape(first.BatchSize * logitsTokens, -1));
        }
        var dtype = LogitsProjection.DTypeFor(DType);
        if (logitsInto is not null)
        {
            LogitsProjection.Project(normed, _lmHead, dtype, logitsInto.view(-1, Config.VocabSize));
            return null;
        }
        return LogitsProjection.Project(normed, _lmHead, dtype).view(first.BatchSize, logitsTokens, Config.VocabSize).MoveToOuterDisposeScope();
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
    }
}
