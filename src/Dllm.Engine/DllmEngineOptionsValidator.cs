using System.Globalization;
using Dllm.Decoding;
using Dllm.Model;
using Dllm.Runner;

namespace Dllm;

/// <summary>
/// The one check of <see cref="DllmEngineOptions"/>, before anything loads (no native library, no weights): every bad
/// field gets one message that names it as the caller spells it — the property name (configuration keys, code), or
/// <c>dllm serve</c>'s flag. The engine runs it at creation; the chat client's settings at application start; the
/// command line before it binds its port.
/// </summary>
public static class DllmEngineOptionsValidator
{
    /// <summary>The problems of <paramref name="options"/>, one message a field; empty when there are none.</summary>
    /// <param name="options">The options.</param>
    /// <param name="fieldName">How the caller spells a property's name in messages; null: the property name.</param>
    /// <param name="checkModelPath">False to leave <see cref="DllmEngineOptions.ModelPath"/> (and what depends on its
    /// config.json) unchecked, for a model directory that is written later (the built-in demo model).</param>
    public static IReadOnlyList<string> Validate(DllmEngineOptions options, Func<string, string>? fieldName = null, bool checkModelPath = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        Func<string, string> name = fieldName ?? (property => property);
        var errors = new List<string>();
        if (checkModelPath)
            CheckModelPath(options.ModelPath, name(nameof(options.ModelPath)), errors);
        if (!Enum.IsDefined(options.LoadFormat))
            errors.Add($"{name(nameof(options.LoadFormat))} must be one of: {string.Join(", ", Enum.GetNames<LoadFormat>())} (got {options.LoadFormat}).");
        int blockSize = CheckAlgorithm(options, name, errors);
        AtLeastOne(options.MaxRunningRequests, name(nameof(options.MaxRunningRequests)), errors);
        AtLeastOne(options.MaxQueuedRequests, name(nameof(options.MaxQueuedRequests)), errors);
        AtLeastOne(options.MaxPrefillTokens, name(nameof(options.MaxPrefillTokens)), errors);
        if (options.ContextLength is int context)
            CheckContextLength(context, blockSize, checkModelPath ? options.ModelPath : null, name(nameof(options.ContextLength)), errors);
        AtLeastOne(options.MaxTotalTokens, name(nameof(options.MaxTotalTokens)), errors);
        if (options.MemFractionStatic is double fraction && !(fraction > 0 && fraction < 1))
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name(nameof(options.MemFractionStatic))} must be between 0 and 1, exclusive (got {fraction})."));
        if (!IsDevice(options.Device, allowAuto: true))
            errors.Add($"{name(nameof(options.Device))} '{options.Device}' is not one of: auto, cpu, cuda, cuda:N.");
        AtLeastOne(options.Gpus, name(nameof(options.Gpus)), errors);
        if (options.DeviceMap is string map)
            CheckDeviceMap(map, name(nameof(options.DeviceMap)), errors);
        if (!IsDType(options.DType))
            errors.Add($"{name(nameof(options.DType))} '{options.DType}' is not one of: auto, bfloat16, float16, float32.");
        AtLeastOne(options.CpuThreads, name(nameof(options.CpuThreads)), errors);
        if (GraphBatchSizes.Problem(options.CudaGraphBatchSizes?.ToList(), options.CudaGraphMaxBatchSize,
                name(nameof(options.CudaGraphBatchSizes)), name(nameof(options.CudaGraphMaxBatchSize))) is string graphs)
            errors.Add(graphs);
        if (options.LibTorchDirectory is string libTorch && !Directory.Exists(libTorch))
            errors.Add($"{name(nameof(options.LibTorchDirectory))} '{libTorch}' is not a directory.");
        if (!double.IsFinite(options.DummyLogitSharpness) || options.DummyLogitSharpness <= 0)
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name(nameof(options.DummyLogitSharpness))} must be a finite number above 0 (got {options.DummyLogitSharpness})."));
        if (options.ServedModelName is { Length: 0 })
            errors.Add($"{name(nameof(options.ServedModelName))} must not be empty (leave it unset for the model directory's name).");
        return errors;
    }

    /// <summary>Throws when <paramref name="options"/> have problems (<see cref="Validate"/>).</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message has every problem, each naming its field.</exception>
    public static void ThrowIfInvalid(DllmEngineOptions options)
    {
        var errors = Validate(options);
        if (errors.Count > 0)
            throw new ArgumentException(string.Join(" ", errors));
    }

    private static void CheckModelPath(string? path, string field, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{field} is required: a local Hugging Face model directory (config.json, *.safetensors, tokenizer.json).");
            return;
        }
        if (Directory.Exists(path))
            return;
        string hint = !Path.IsPathRooted(path) && path.Count(c => c == '/') == 1 && !path.StartsWith('.')
            ? $" It looks like a Hugging Face model id: dllm does not download models (there is no model hub here). Download the checkpoint (for example `huggingface-cli download {path} --local-dir ./{path.Split('/')[1]}`) and pass that directory."
            : " Pass a directory with config.json, *.safetensors and tokenizer.json.";
        errors.Add($"{field} '{path}' is not a local directory.{hint}");
    }

    /// <summary>Checks the algorithm, its YAML file and its settings; the block size they give (when they are invalid, the
    /// default block size of the algorithm, or of the first one).</summary>
    private static int CheckAlgorithm(DllmEngineOptions options, Func<string, string> name, List<string> errors)
    {
        if (options.Algorithm is not string algorithm || !DiffusionAlgorithms.Names.Contains(algorithm, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"{name(nameof(options.Algorithm))} '{options.Algorithm}' is not one of: {string.Join(", ", DiffusionAlgorithms.Names)}.");
            return DiffusionAlgorithms.Create(DiffusionAlgorithms.Names[0]).BlockSize;
        }
        DiffusionAlgorithmConfig config;
        try
        {
            config = options.AlgorithmConfigPath is string path ? DiffusionAlgorithmConfig.LoadFile(path, algorithm) : DiffusionAlgorithmConfig.Default;
        }
        catch (AlgorithmConfigException e)
        {
            errors.Add($"{name(nameof(options.AlgorithmConfigPath))}: {e.Message}");
            return DiffusionAlgorithms.Create(algorithm).BlockSize;
        }
        try
        {
            config = config.WithSettings(options.AlgorithmSettings ?? new Dictionary<string, double>(), algorithm, name(nameof(options.AlgorithmSettings)));
            return DiffusionAlgorithms.Create(algorithm, config).BlockSize;
        }
        catch (AlgorithmConfigException e)
        {
            errors.Add(e.Message);
            return DiffusionAlgorithms.Create(algorithm).BlockSize;
        }
    }

    private static void AtLeastOne(int? value, string field, List<string> errors)
    {
        if (value is < 1)
            errors.Add($"{field} must be at least 1 (got {value}).");
    }

    /// <summary>
    /// The engine's rule: at least two blocks, at most the model's <c>max_position_embeddings</c> (checked when config.json
    /// can be read; one that cannot is the load's to report).
    /// </summary>
    private static void CheckContextLength(int context, int block, string? modelPath, string field, List<string> errors)
    {
        if (context < 2 * block)
        {
            errors.Add($"{field} must be at least two blocks ({2 * block} tokens with block size {block}) (got {context}).");
            return;
        }
        if (modelPath is null || !File.Exists(Path.Combine(modelPath, "config.json")))
            return;
        try
        {
            int max = LLaDA2Config.Load(Path.Combine(modelPath, "config.json")).MaxPositionEmbeddings;
            if (context > max)
                errors.Add($"{field} {context} exceeds the model's max_position_embeddings ({max}).");
        }
        catch (ModelConfigException)
        {
            // The load reports a config.json it cannot read, naming the field.
        }
    }

    /// <summary>FIRST-LAST:DEVICE[,FIRST-LAST:DEVICE...]: the syntax only; the layer count is checked against config.json at load.</summary>
    private static void CheckDeviceMap(string map, string field, List<string> errors)
    {
        var parts = map.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
            errors.Add($"{field} '{map}' is empty; write FIRST-LAST:DEVICE,... (e.g. 0-15:cuda:0,16-31:cuda:1).");
        foreach (string part in parts)
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            string[] range = colon > 0 ? part[..colon].Split('-') : [];
            bool valid = range.Length == 2
                && int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first)
                && int.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out int last)
                && last >= first
                && IsDevice(part[(colon + 1)..], allowAuto: false);
            if (!valid)
            {
                errors.Add($"{field}: '{part}' is not FIRST-LAST:DEVICE (e.g. 0-15:cuda:0).");
                return;
            }
        }
    }

    /// <summary>auto (when allowed), cpu, cuda or cuda:N, in any case.</summary>
    private static bool IsDevice(string? spec, bool allowAuto)
    {
        string value = (spec ?? "").Trim().ToLowerInvariant();
        return (allowAuto && value == "auto") || value is "cpu" or "cuda"
            || (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _));
    }

    private static bool IsDType(string? dtype)
    {
        if (string.Equals(dtype?.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
            return true;
        try
        {
            _ = DTypes.Parse(dtype ?? "", "dtype");
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
