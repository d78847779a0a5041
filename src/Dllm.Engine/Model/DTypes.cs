using TorchSharp;

namespace Dllm.Model;

/// <summary>Names of the run dtypes, as users write them (<c>bfloat16</c>, <c>bf16</c>, <c>float32</c>, …).</summary>
public static class DTypes
{
    /// <summary>Parses a dtype name; <paramref name="field"/> names the option or key in the error.</summary>
    /// <exception cref="ArgumentException">Not a supported dtype.</exception>
    public static torch.ScalarType Parse(string name, string field) => name.Trim().ToLowerInvariant() switch
    {
        "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
        "float16" or "fp16" or "half" => torch.ScalarType.Float16,
        "float32" or "fp32" or "float" => torch.ScalarType.Float32,
        _ => throw new ArgumentException($"{field}: '{name}' is not a dtype; use bfloat16, float16 or float32."),
    };

    /// <summary>Resolves <c>auto</c>: bfloat16 on CUDA, float32 on the CPU.</summary>
    public static torch.ScalarType Resolve(string name, torch.Device device, string field) =>
        name.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)
            ? device.type == DeviceType.CUDA ? torch.ScalarType.BFloat16 : torch.ScalarType.Float32
            : Parse(name, field);
}
