using Dllm.Diagnostics;
using System.Diagnostics;
using Dllm.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>Loads an <see cref="LLaDA2Model"/> from an HF model directory, with progress logs.</summary>
public static class ModelLoader
{
    /// <summary>Reads config.json and the weights (or draws dummy weights) onto <paramref name="device"/>.</summary>
    /// <exception cref="CheckpointException">The directory, a shard or a tensor is missing or malformed.</exception>
    public static LLaDA2Model Load(string directory, LoadFormat format, torch.ScalarType dtype, torch.Device device, ILogger? logger = null, long dummySeed = 1, double dummyLogitSharpness = 1.0) =>
        Load(directory, format, dtype, config => ModelPlacement.Single(config, device), logger, dummySeed, dummyLogitSharpness);

    /// <summary>Reads config.json and the weights (or draws dummy weights), placing layers as <paramref name="placement"/> decides for the config.</summary>
    public static LLaDA2Model Load(string directory, LoadFormat format, torch.ScalarType dtype, Func<LLaDA2Config, ModelPlacement> placement, ILogger? logger = null, long dummySeed = 1, double dummyLogitSharpness = 1.0) =>
        Load(directory, format, dtype, placement, logger, dummySeed, dummyLogitSharpness, progress: null, CancellationToken.None);

    /// <summary>
    /// As the public overloads, reporting every tensor read to <paramref name="progress"/> (safetensors only) and checking
    /// <paramref name="cancellationToken"/> between tensors: a cancelled or failed load disposes every tensor it made.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired during the load.</exception>
    internal static LLaDA2Model Load(string directory, LoadFormat format, torch.ScalarType dtype, Func<LLaDA2Config, ModelPlacement> placement, ILogger? logger,
        long dummySeed, double dummyLogitSharpness, IProgress<CheckpointLoadProgress>? progress, CancellationToken cancellationToken)
    {
        logger ??= NullLogger.Instance;
        var watch = Stopwatch.StartNew();
        if (format == LoadFormat.Dummy)
        {
            var config = LLaDA2Config.Load(Path.Combine(directory, "config.json"));
            var dummyPlacement = placement(config);
            logger.LoadingDummyWeights(directory, dummySeed, dtype, dummyPlacement);
            var dummy = Build(() => LLaDA2Model.Load(config, new CancellableWeightSource(new RandomWeightSource(dummySeed, dummyLogitSharpness), cancellationToken), dtype, dummyPlacement, logger));
            logger.ModelReady(watch.Elapsed.TotalSeconds);
            return dummy;
        }
        var checkpoint = CheckpointDirectory.Open(directory);
        var modelPlacement = placement(checkpoint.Config);
        logger.LoadingCheckpoint(directory, checkpoint.Files.Count, checkpoint.TotalBytes / 1e9, dtype, modelPlacement);
        checkpoint.CheckTensors(new LLaDA2CheckpointLayout(checkpoint.Config).Tensors);
        var log = new ThrottledProgress(10, p => logger.LoadProgress(100 * p.Fraction, p.TensorsDone, p.TensorsTotal,
            p.BytesDone / 1e9, p.BytesTotal / 1e9, p.BytesPerSecond / 1e9));
        checkpoint.Progress = progress is null ? log : new ProgressTee<CheckpointLoadProgress>(log, progress);
        var model = Build(() =>
        {
            var loaded = LLaDA2Model.Load(checkpoint.Config, new CancellableWeightSource(new CheckpointWeightSource(checkpoint), cancellationToken), dtype, modelPlacement, logger);
            checkpoint.CheckNoUnexpectedTensors(loaded.TensorNamesRead);
            return loaded;
        });
        logger.ModelReadyFromDisk(watch.Elapsed.TotalSeconds, checkpoint.TotalBytes / 1e9 / watch.Elapsed.TotalSeconds);
        return model;
    }

    /// <summary>Builds the model in a dispose scope: kept whole on success; on any failure (cancellation included) every tensor made so far is freed at once.</summary>
    private static LLaDA2Model Build(Func<LLaDA2Model> build)
    {
        var scope = torch.NewDisposeScope();
        LLaDA2Model model;
        try
        {
            model = build();
        }
        catch
        {
            scope.Dispose();
            throw;
        }
        scope.Detach(scope.DisposablesView.ToArray());
        scope.Dispose();
        return model;
    }
}
