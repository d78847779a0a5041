using System.Buffers.Binary;
using System.Text;
using TorchSharp;

namespace Dllm.Tests.Checkpoints;

/// <summary>Hand-made safetensors files and tensors with values that every stored dtype represents exactly.</summary>
internal static class SafetensorsTestData
{
    /// <summary>The bytes of a safetensors file with this header JSON and data section.</summary>
    public static byte[] Raw(string headerJson, byte[] data)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Writes a hand-made safetensors file.</summary>
    public static void WriteRaw(string path, string headerJson, byte[] data) => File.WriteAllBytes(path, Raw(headerJson, data));

    /// <summary>A fp32 tensor of distinct values that bf16, f16 and f32 all hold exactly (multiples of 1/8 below 16).</summary>
    public static torch.Tensor Exact(params long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        using var steps = torch.arange(count, torch.ScalarType.Float32);
        using var scaled = steps.mul(0.125);
        using var centered = scaled.sub(count / 16.0);
        return centered.reshape(shape);
    }

    /// <summary>The fp32 values of a tensor, flattened.</summary>
    public static float[] Values(torch.Tensor tensor)
    {
        using var f32 = tensor.to(torch.ScalarType.Float32);
        using var flat = f32.flatten();
        return flat.data<float>().ToArray();
    }

    /// <summary>Flips the first 8 bytes of a file to a little-endian header length.</summary>
    public static void SetHeaderLength(string path, ulong length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        stream.Write(bytes);
    }

    /// <summary>Cuts the last <paramref name="bytes"/> bytes off a file.</summary>
    public static void Truncate(string path, long bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(stream.Length - bytes);
    }
}
