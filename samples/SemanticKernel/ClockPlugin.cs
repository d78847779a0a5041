using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace Dllm.Samples.SemanticKernel;

/// <summary>A plugin the model may call.</summary>
public sealed class ClockPlugin
{
    /// <summary>The current UTC date and time.</summary>
    [KernelFunction, Description("Gets the current date and time in UTC.")]
    public string GetUtcNow() => DateTimeOffset.UtcNow.ToString("u", System.Globalization.CultureInfo.InvariantCulture);
}
