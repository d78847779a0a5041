using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Logging;

namespace Dllm.Cli;

/// <summary>Options shared by several commands, defined once.</summary>
internal static class CommonOptions
{
    /// <summary><c>--device</c>: auto (CUDA when available), cpu, cuda or cuda:N.</summary>
    public static Option<string> Device() => new("--device")
    {
        Description = "Device: auto (CUDA when available), cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>
    /// <c>--log-level</c>: the least severe log entries written, by .NET's names (Trace, Debug, Information, Warning,
    /// Error, Critical, None) or SGLang's (debug, info, warning, error, critical), in any case.
    /// </summary>
    public static Option<LogLevel> LogLevel() => new("--log-level")
    {
        Description = "The least severe log entries written: trace, debug, info (information), warning, error, critical or none (SGLang's names work too).",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Information,
        CustomParser = ParseLogLevel,
    };

    /// <summary>A log level by name; anything else (a number included) is a parse error naming the flag and the names.</summary>
    internal static LogLevel ParseLogLevel(ArgumentResult result)
    {
        string value = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        switch (value.ToLowerInvariant())
        {
            case "info":
                return Microsoft.Extensions.Logging.LogLevel.Information;
            case "warn":
                return Microsoft.Extensions.Logging.LogLevel.Warning;
            case "fatal":
                return Microsoft.Extensions.Logging.LogLevel.Critical;
        }
        if (Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level) && Enum.IsDefined(level) && !value.Any(char.IsDigit))
            return level;
        result.AddError($"--log-level '{value}' is not one of: trace, debug, info, warning, error, critical, none.");
        return Microsoft.Extensions.Logging.LogLevel.Information;
    }

    /// <summary><c>--libtorch-dir</c>: an existing libtorch directory, loaded instead of the tool's own CPU libtorch.</summary>
    public static Option<string?> LibTorchDir() => new("--libtorch-dir")
    {
        Description = "An existing libtorch directory (2.10+), e.g. a PyTorch install's torch/lib for CUDA, loaded instead of the tool's own CPU libtorch. Also DLLM_LIBTORCH_DIR.",
    };
}
