using System.Buffers.Binary;
using System.Text.Json;
using Dllm.Checkpoints;
using Dllm.Tests.Infrastructure;
using TorchSharp;
using static Dllm.Tests.Checkpoints.SafetensorsTestData;

namespace Dllm.Tests.Checkpoints;

public sealed class SafetensorsFormatTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SafetensorsFormatTests() => Torch.EnsureLoaded();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Written_file_has_the_reference_layout()
    {
        string path = _dir.File("mixed.safetensors");
        using var a = Exact(2, 3);
        using var b = Exact(5);
        using var c = Exact(1);
        using (var writer = new SafetensorsWriter(path, [
            new SafetensorsEntry("b.half", [5], torch.ScalarType.Float16),
            new SafetensorsEntry("c.bf16", [1], torch.ScalarType.BFloat16),
            new SafetensorsEntry("a.f32", [2, 3], torch.ScalarType.Float32)]))
        {
            writer.Write("c.bf16", c);
            writer.Write("a.f32", a);
            writer.Write("b.half", b);
            writer.Complete();
        }

        byte[] bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8);
        Assert.Equal((long)(8 + headerLength) + 24 + 10 + 2, bytes.Length);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var root = header.RootElement;
        Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        // Largest element size first, then by name: f32 at 0, then the 2-byte tensors in name order.
        Assert.Equal("F32", root.GetProperty("a.f32").GetProperty("dtype").GetString());
        Assert.Equal([0L, 24L], Offsets(root, "a.f32"));
        Assert.Equal([24L, 34L], Offsets(root, "b.half"));
        Assert.Equal([34L, 36L], Offsets(root, "c.bf16"));
        Assert.Equal([2L, 3L], root.GetProperty("a.f32").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        string headerText = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.EndsWith("}", headerText.TrimEnd(' '), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(torch.ScalarType.BFloat16, "BF16")]
    [InlineData(torch.ScalarType.Float16, "F16")]
    [InlineData(torch.ScalarType.Float32, "F32")]
    public void Values_round_trip_in_each_dtype(torch.ScalarType dtype, string name)
    {
        string path = _dir.File($"{name}.safetensors");
        using var original = Exact(4, 6);
        SafetensorsWriter.WriteFile(path, [new("w", original)], dtype);

        var file = SafetensorsFile.Open(path);
        Assert.Equal(name, file.Tensors["w"].DType);
        Assert.Equal([4L, 6L], file.Tensors["w"].Shape);
        using var same = file.ReadTensor("w", [4, 6], dtype, torch.CPU);
        using var widened = file.ReadTensor("w", null, torch.ScalarType.Float32, torch.CPU);

        Assert.Equal(dtype, same.dtype);
        Assert.Equal(torch.ScalarType.Float32, widened.dtype);
        Assert.Equal(Values(original), Values(same));
        Assert.Equal(Values(original), Values(widened));
    }

    [Fact]
    public void Bf16_is_converted_to_f32_on_load_as_torch_converts_it()
    {
        string path = _dir.File("bf16.safetensors");
        using var original = torch.tensor(new[] { 0.1f, -1.0f / 3, 3.14159f, 1e-3f, 65504f, -7.5f });
        SafetensorsWriter.WriteFile(path, [new("x", original)], torch.ScalarType.BFloat16);

        using var loaded = SafetensorsFile.Open(path).ReadTensor("x", [6], torch.ScalarType.Float32, torch.CPU);
        using var bf16 = original.to(torch.ScalarType.BFloat16);

        Assert.Equal(Values(bf16), Values(loaded));
        Assert.NotEqual(Values(original), Values(loaded));
    }

    [Fact]
    public void Reading_in_small_chunks_gives_the_same_tensor()
    {
        string path = _dir.File("chunks.safetensors");
        using var original = Exact(10, 10);
        SafetensorsWriter.WriteFile(path, [new("m", original)], torch.ScalarType.Float32);
        var file = SafetensorsFile.Open(path);

        using var chunked = file.Read(file.Tensors["m"], [10, 10], torch.ScalarType.Float32, torch.CPU, chunkBytes: 28);

        Assert.Equal(Values(original), Values(chunked));
    }

    [Fact]
    public void Chunks_are_spans_over_the_tensor_memory()
    {
        using var tensor = torch.zeros(7, 3, dtype: torch.ScalarType.Float32);
        var offsets = new List<long>();

        TensorMemory.ForEachChunk(tensor, (chunk, offset) =>
        {
            offsets.Add(offset);
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(chunk);
            for (int i = 0; i < floats.Length; i++)
                floats[i] = offset / 4 + i;
        }, chunkBytes: 16);

        Assert.Equal([0L, 16, 32, 48, 64, 80], offsets);
        Assert.Equal(Enumerable.Range(0, 21).Select(i => (float)i), Values(tensor));
    }

    [Fact]
    public void Hand_written_header_with_metadata_scalar_and_empty_tensor_parses()
    {
        string path = _dir.File("hand.safetensors");
        byte[] data = [.. BitConverter.GetBytes(2.5f), .. BitConverter.GetBytes(-1f), .. BitConverter.GetBytes(4f)];
        WriteRaw(path, """
            {"__metadata__":{"format":"pt","note":"hand"},
             "vec":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},
             "scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},
             "empty":{"dtype":"BF16","shape":[0,3],"data_offsets":[12,12]}}
            """, data);

        var file = SafetensorsFile.Open(path);
        using var scalar = file.ReadTensor("scalar", [], torch.ScalarType.Float32, torch.CPU);
        using var vec = file.ReadTensor("vec", [2], torch.ScalarType.Float32, torch.CPU);
        using var empty = file.ReadTensor("empty", [0, 3], torch.ScalarType.Float32, torch.CPU);

        Assert.Equal("hand", file.Metadata["note"]);
        Assert.Equal(12, file.DataBytes);
        Assert.Equal(2.5f, scalar.item<float>());
        Assert.Equal([-1f, 4f], Values(vec));
        Assert.Equal([0L, 3L], empty.shape);
    }

    [Fact]
    public void Writer_rejects_undeclared_and_misshaped_tensors_and_deletes_an_incomplete_file()
    {
        string path = _dir.File("partial.safetensors");
        using var t = Exact(2, 2);
        var writer = new SafetensorsWriter(path, [new SafetensorsEntry("a", [2, 2], torch.ScalarType.Float32), new SafetensorsEntry("b", [4], torch.ScalarType.Float32)]);

        Assert.Contains("'zzz' was not declared", Assert.Throws<ArgumentException>(() => writer.Write("zzz", t)).Message);
        Assert.Contains("shape [2, 2], declared [4]", Assert.Throws<ArgumentException>(() => writer.Write("b", t)).Message);
        writer.Write("a", t);
        Assert.Contains("'a' was written already", Assert.Throws<ArgumentException>(() => writer.Write("a", t)).Message);
        var error = Assert.Throws<CheckpointException>(writer.Complete);

        Assert.Contains("'b'", error.Message);
        Assert.False(File.Exists(path));
        writer.Dispose();
    }

    private static long[] Offsets(JsonElement root, string name) =>
        root.GetProperty(name).GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
}
