using System.Text.RegularExpressions;
using Dllm.Decoding;
using Dllm.Model;
using Microsoft.Extensions.Options;

namespace Dllm.AI.Hosting;

/// <summary>
/// Checks the <see cref="DllmChatClientSettings"/> of one registration (by options name) at start, one message per bad
/// field, each naming the field. The engine's fields are checked when that registration registered the shared engine,
/// or is keyed and names a model (which may be an engine of its own).
/// </summary>
/// <param name="registrationName">The options name of the registration.</param>
/// <param name="checkEngine">Whether the registration registered the shared engine (so its engine fields are used).</param>
/// <param name="keyed">A keyed registration: one that sets a model path may get an engine of its own, so its engine fields are checked too.</param>
internal sealed partial class DllmChatClientSettingsValidator(string registrationName, bool checkEngine, bool keyed = false) : IValidateOptions<DllmChatClientSettings>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DllmChatClientSettings options)
    {
        if (!string.Equals(name ?? Options.DefaultName, registrationName, StringComparison.Ordinal))
            return ValidateOptionsResult.Skip;
        var errors = new List<string>();
        if (options.DefaultMaxOutputTokens is < 1)
            errors.Add($"DefaultMaxOutputTokens must be at least 1 (got {options.DefaultMaxOutputTokens}).");
        if (checkEngine || (keyed && options.ModelPath is not null))
            CheckEngine(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckEngine(DllmChatClientSettings options, List<string> errors)
    {
        CheckModelPath(options, errors);
        if (!Enum.IsDefined(options.LoadFormat))
            errors.Add($"LoadFormat must be one of {string.Join(", ", Enum.GetNames<LoadFormat>())} (got {options.LoadFormat}).");
        string algorithm = options.Algorithm ?? "";
        bool knownAlgorithm = DiffusionAlgorithms.Names.Contains(algorithm, StringComparer.OrdinalIgnoreCase);
        if (!knownAlgorithm)
            errors.Add($"Algorithm '{algorithm}' is not one of: {string.Join(", ", DiffusionAlgorithms.Names)}.");
        if (options.AlgorithmConfigPath is string path && knownAlgorithm)
            CheckAlgorithmConfig(path, algorithm, errors);
        if (options.MaxRunningRequests < 1)
            errors.Add($"MaxRunningRequests must be at least 1 (got {options.MaxRunningRequests}).");
        if (options.MaxQueuedRequests is < 1)
            errors.Add($"MaxQueuedRequests must be at least 1, or null for no limit (got {options.MaxQueuedRequests}).");
        if (options.CpuThreads is < 1)
            errors.Add($"CpuThreads must be at least 1, or null for the default (got {options.CpuThreads}).");
        if (options.ContextLength is < 1)
            errors.Add($"ContextLength must be positive (got {options.ContextLength}).");
        if (!DevicePattern().IsMatch(options.Device ?? ""))
            errors.Add($"Device '{options.Device}' is not one of: auto, cpu, cuda, cuda:N.");
        CheckDType(options.DType, errors);
        if (options.LibTorchDirectory is string libTorch && !Directory.Exists(libTorch))
            errors.Add($"LibTorchDirectory '{libTorch}' does not exist.");
    }

    private static void CheckModelPath(DllmChatClientSettings options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            errors.Add("ModelPath is required: an HF model directory with config.json, tokenizer.json and safetensors.");
            return;
        }
        if (!Directory.Exists(options.ModelPath))
        {
            errors.Add($"ModelPath '{options.ModelPath}' does not exist or is not a directory.");
            return;
        }
        foreach (string file in (string[])["config.json", "tokenizer.json"])
        {
            if (!File.Exists(Path.Combine(options.ModelPath, file)))
                errors.Add($"ModelPath '{options.ModelPath}' has no {file}.");
        }
    }

    private static void CheckAlgorithmConfig(string path, string algorithm, List<string> errors)
    {
        try
        {
            _ = DiffusionAlgorithmConfig.LoadFile(path, algorithm);
        }
        catch (Exception e) when (e is AlgorithmConfigException or ArgumentException)
        {
            errors.Add($"AlgorithmConfigPath: {e.Message}");
        }
    }

    private static void CheckDType(string? dtype, List<string> errors)
    {
        if (string.Equals(dtype?.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
            return;
        try
        {
            _ = DTypes.Parse(dtype ?? "", "DType");
        }
        catch (ArgumentException)
        {
            errors.Add($"DType '{dtype}' is not one of: auto, bfloat16, float16, float32.");
        }
    }

    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DevicePattern();
}
