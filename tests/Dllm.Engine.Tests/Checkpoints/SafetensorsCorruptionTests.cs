using Dllm.Checkpoints;
using Dllm.Tests.Infrastructure;
using TorchSharp;
using static Dllm.Tests.Checkpoints.SafetensorsTestData;

namespace Dllm.Tests.Checkpoints;

/// <summary>Every header and data defect, made by really damaging files on disk.</summary>
public sealed class SafetensorsCorruptionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SafetensorsCorruptionTests() => Torch.EnsureLoaded();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Truncated_data_names_the_file_and_the_cut_tensor()
    {
        string path = WriteValid();
        Truncate(path, 3);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("truncated", error.Message);
        Assert.Contains(path, error.Message);
        // Data is ordered by name, so the weight comes last and loses its tail.
        Assert.Contains("'layer.weight'", error.Message);
        Assert.Equal("layer.weight", error.TensorName);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void File_cut_inside_the_header_has_an_invalid_header_length()
    {
        string path = WriteValid();
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(40);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("header length", error.Message);
        Assert.Contains("file of 40 bytes", error.Message);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFF0UL)]
    [InlineData(200_000_000UL)]
    public void Garbage_header_length_is_a_clear_error(ulong length)
    {
        string path = WriteValid();
        SetHeaderLength(path, length);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains($"header length {length} is invalid", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Tiny_file_is_not_a_safetensors_file()
    {
        string path = _dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Contains("not a safetensors file", Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path)).Message);
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",", "not valid JSON")]
    [InlineData("[1, 2]", "must be an object")]
    [InlineData("{\"w\":[1]}", "tensor 'w': the entry must be an object")]
    [InlineData("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'w': 'dtype' is missing")]
    [InlineData("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'w': unknown dtype 'Q4'")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "tensor 'w': 'shape' is missing or not a list of non-negative integers")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "tensor 'w': 'data_offsets' is missing or not a pair")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "tensor 'w': data_offsets [4, 0] are out of order")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "tensor 'w': data_offsets [0, 4] hold 4 bytes but F32 [2] needs 8")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "tensor 'w' appears twice")]
    [InlineData("{\"__metadata__\":{\"n\":1},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'__metadata__' must be an object of strings")]
    public void Corrupt_header_json_is_named(string header, string expected)
    {
        string path = _dir.File("bad.safetensors");
        WriteRaw(path, header, new byte[16]);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains(expected, error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Overlapping_data_offsets_name_both_tensors()
    {
        string path = _dir.File("overlap.safetensors");
        WriteRaw(path, """
            {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}
            """, new byte[12]);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("'a' [0, 8) and 'b' [4, 12) overlap", error.Message);
    }

    [Fact]
    public void Data_offsets_beyond_the_end_are_a_truncated_file()
    {
        string path = _dir.File("short.safetensors");
        WriteRaw(path, """{"a":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]}}""", new byte[10]);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("truncated: tensor 'a' needs bytes up to", error.Message);
    }

    [Fact]
    public void Unsupported_dtype_is_named_when_read()
    {
        string path = _dir.File("ints.safetensors");
        WriteRaw(path, """{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}""", new byte[16]);
        var file = SafetensorsFile.Open(path);

        var error = Assert.Throws<CheckpointException>(() => file.ReadTensor("ids", [2], torch.ScalarType.Float32, torch.CPU));

        Assert.Contains("tensor 'ids' has dtype I64, which is not supported; only BF16, F16, F32", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Missing_tensor_and_shape_mismatch_name_the_tensor_and_file()
    {
        string path = WriteValid();
        var file = SafetensorsFile.Open(path);

        var missing = Assert.Throws<CheckpointException>(() => file.ReadTensor("layer.nope", [3], torch.ScalarType.Float32, torch.CPU));
        var shape = Assert.Throws<CheckpointException>(() => file.ReadTensor("layer.weight", [4, 3], torch.ScalarType.Float32, torch.CPU));

        Assert.Contains($"{path}: tensor 'layer.nope' is not in this file", missing.Message);
        Assert.Contains($"{path}: tensor 'layer.weight' has shape [3, 4], expected [4, 3]", shape.Message);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        string path = _dir.File("absent.safetensors");

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains($"{path}: cannot open: the file does not exist", error.Message);
    }

    [Fact]
    public void File_cut_after_opening_fails_the_read_with_the_tensor_named()
    {
        string path = WriteValid();
        var file = SafetensorsFile.Open(path);
        Truncate(path, 20);

        var error = Assert.Throws<CheckpointException>(() => file.ReadTensor("layer.weight", [3, 4], torch.ScalarType.Float32, torch.CPU));

        Assert.Contains("tensor 'layer.weight': the file is truncated", error.Message);
    }

    private string WriteValid()
    {
        string path = _dir.File($"valid-{Guid.NewGuid():N}.safetensors");
        using var weight = Exact(3, 4);
        using var bias = Exact(3);
        SafetensorsWriter.WriteFile(path, [new("layer.weight", weight), new("layer.bias", bias)], torch.ScalarType.Float32);
        return path;
    }
}
