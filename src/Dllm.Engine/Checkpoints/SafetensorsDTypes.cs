using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>
/// The dtype names of the safetensors format, their element sizes, and the ones this engine reads and writes
/// (BF16, F16, F32).
/// </summary>
public static class SafetensorsDTypes
{
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    /// <summary>The dtypes that can be read into and written from tensors.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["BF16", "F16", "F32"];

    /// <summary>Bytes per element of a safetensors dtype name, or null for a name the format does not define.</summary>
    public static int? ElementSize(string dtype) => ElementSizes.TryGetValue(dtype, out int size) ? size : null;

    /// <summary>The torch dtype of a supported safetensors dtype, or null for the others.</summary>
    public static torch.ScalarType? ToScalarType(string dtype) => dtype switch
    {
        "BF16" => torch.ScalarType.BFloat16,
        "F16" => torch.ScalarType.Float16,
        "F32" => torch.ScalarType.Float32,
        _ => null,
    };

    /// <summary>The safetensors name of a torch dtype (BF16, F16 or F32).</summary>
    /// <exception cref="ArgumentException">The dtype is not one of the three.</exception>
    public static string FromScalarType(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.BFloat16 => "BF16",
        torch.ScalarType.Float16 => "F16",
        torch.ScalarType.Float32 => "F32",
        _ => throw new ArgumentException($"dtype {dtype} cannot be stored; use one of {string.Join(", ", Supported)}.", nameof(dtype)),
    };

    /// <summary>The config.json <c>torch_dtype</c> name of a torch dtype (bfloat16, float16 or float32).</summary>
    /// <exception cref="ArgumentException">The dtype is not one of the three.</exception>
    public static string TorchDtypeName(torch.ScalarType dtype) => FromScalarType(dtype) switch
    {
        "BF16" => "bfloat16",
        "F16" => "float16",
        _ => "float32",
    };
}
