using System.Globalization;
using Dllm.Decoding;
using Dllm.Model;
using Microsoft.Extensions.Logging;

namespace Dllm.Cli;

/// <summary>Turns <c>dllm serve</c>'s flags into engine options, checking what can be checked before loading.</summary>
internal static class ServeEngineOptions
{
    /// <summary>The engine options, and whether they serve the demo model.</summary>
    /// <exception cref="ServeSetupException">An unknown algorithm, a bad algorithm config, or a model path that is not a local directory.</exception>
    /// <exception cref="Native.TorchBackendException">The demo model had to be written and the native backend did not load.</exception>
    public static async Task<(DllmEngineOptions Options, bool IsDemo)> BuildAsync(ServeSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        string algorithm = DiffusionAlgorithms.Names.FirstOrDefault(n => string.Equals(n, settings.Algorithm, StringComparison.OrdinalIgnoreCase))
            ?? throw new ServeSetupException($"--dllm-algorithm '{settings.Algorithm}' is unknown; known algorithms: {string.Join(", ", DiffusionAlgorithms.Names)}.");
        var config = LoadConfig(settings.AlgorithmConfigPath, algorithm);
        bool demo = settings.ModelPath is null;
        string modelPath = demo
            ? await DemoModel.EnsureAsync(new Native.TorchBackendOptions { LibTorchDirectory = settings.LibTorchDirectory }, logger, cancellationToken).ConfigureAwait(false)
            : CheckModelPath(settings.ModelPath!);
        if (settings.ContextLength is int contextLength)
            CheckContextLength(contextLength, modelPath, algorithm, config);
        if (demo)
        {
            logger.ServingDemoModel(modelPath);
        }
        var defaults = new DllmEngineOptions { ModelPath = modelPath };
        var options = defaults with
        {
            Algorithm = algorithm,
            AlgorithmConfig = config,
            AlgorithmConfigPath = settings.AlgorithmConfigPath,
            MaxRunningRequests = settings.MaxRunningRequests ?? defaults.MaxRunningRequests,
            MaxQueuedRequests = CheckMaxQueued(settings.MaxQueuedRequests) ?? defaults.MaxQueuedRequests,
            ContextLength = settings.ContextLength,
            Device = settings.Device,
            DType = settings.DType,
            CpuThreads = settings.CpuThreads,
            LibTorchDirectory = settings.LibTorchDirectory,
            LoadFormat = settings.LoadFormat,
            ServedModelName = settings.ServedModelName ?? (demo ? DemoModel.ServedModelName : null),
            Gpus = settings.Gpus,
            DeviceMap = settings.DeviceMap,
            CudaGraphs = !settings.DisableCudaGraph,
        };
        return (options, demo);
    }

    /// <summary>The deadline <c>--request-timeout</c> gives every HTTP generation, or null.</summary>
    /// <exception cref="ServeSetupException">Not a positive number of seconds.</exception>
    public static TimeSpan? RequestTimeout(ServeSettings settings) => settings.RequestTimeoutSeconds switch
    {
        null => null,
        double seconds when seconds > 0 && seconds <= MaxRequestTimeoutSeconds => TimeSpan.FromSeconds(seconds),
        double seconds => throw new ServeSetupException(string.Create(CultureInfo.InvariantCulture,
            $"--request-timeout must be a number of seconds above 0 and at most {MaxRequestTimeoutSeconds} (a year), got {seconds}.")),
    };

    private const double MaxRequestTimeoutSeconds = 365 * 24 * 3600;

    private static int? CheckMaxQueued(int? value) =>
        value is < 1 ? throw new ServeSetupException($"--max-queued-requests must be at least 1 (got {value}).") : value;

    private static DiffusionAlgorithmConfig? LoadConfig(string? path, string algorithm)
    {
        if (path is null)
            return null;
        try
        {
            return DiffusionAlgorithmConfig.LoadFile(path, algorithm);
        }
        catch (AlgorithmConfigException e)
        {
            throw new ServeSetupException($"--dllm-algorithm-config: {e.Message}");
        }
    }

    /// <summary>
    /// The engine's rule (at least two blocks, at most the model's <c>max_position_embeddings</c>), checked before
    /// the load when config.json can be read; a config.json that cannot is the load's to report.
    /// </summary>
    private static void CheckContextLength(int contextLength, string modelPath, string algorithm, DiffusionAlgorithmConfig? config)
    {
        int blockSize = DiffusionAlgorithms.Create(algorithm, config ?? DiffusionAlgorithmConfig.Default).BlockSize;
        if (contextLength < 2 * blockSize)
            throw new ServeSetupException($"--context-length {contextLength} must be at least two blocks ({2 * blockSize} tokens with block size {blockSize}).");
        LLaDA2Config model;
        try
        {
            model = LLaDA2Config.Load(Path.Combine(modelPath, "config.json"));
        }
        catch (ModelConfigException)
        {
            return;
        }
        if (contextLength > model.MaxPositionEmbeddings)
            throw new ServeSetupException($"--context-length {contextLength} exceeds the model's max_position_embeddings ({model.MaxPositionEmbeddings}).");
    }

    private static string CheckModelPath(string path)
    {
        if (Directory.Exists(path))
            return Path.GetFullPath(path);
        string hint = !Path.IsPathRooted(path) && path.Count(c => c == '/') == 1 && !path.StartsWith('.')
            ? $" It looks like a Hugging Face model id: dllm does not download models (there is no model hub here). Download the checkpoint (for example `huggingface-cli download {path} --local-dir ./{path.Split('/')[1]}`) and pass that directory."
            : " Pass a directory with config.json, *.safetensors and tokenizer.json.";
        throw new ServeSetupException($"--model-path '{path}' is not a local directory.{hint}");
    }
}
