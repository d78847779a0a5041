using System.Text.Json.Nodes;
using Dllm.Checkpoints;
using Dllm.Tests.Infrastructure;
using TorchSharp;
using static Dllm.Tests.Checkpoints.SafetensorsTestData;

namespace Dllm.Tests.Checkpoints;

public sealed class CheckpointDirectoryTests : IDisposable
{
    private const long SmallShards = 100_000;
    private readonly TempDirectory _dir = new();
    private readonly LLaDA2CheckpointLayout _layout = new(SyntheticCheckpoints.TinyConfig);

    public CheckpointDirectoryTests() => Torch.EnsureLoaded();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Sharded_and_single_file_checkpoints_give_identical_tensors()
    {
        string single = Path.Combine(_dir.Path, "single"), sharded = Path.Combine(_dir.Path, "sharded");
        SyntheticCheckpoints.Write(single);
        var shardFiles = SyntheticCheckpoints.Write(sharded, SmallShards);

        var a = CheckpointDirectory.Open(single);
        var b = CheckpointDirectory.Open(sharded);

        Assert.Single(a.Files);
        Assert.True(shardFiles.Count > 3);
        Assert.Equal(shardFiles.Count, b.Files.Count);
        Assert.Equal(SyntheticCheckpoints.TinyConfig with { TorchDtype = "float32" }, a.Config);
        Assert.Equal(a.Config, b.Config);
        Assert.Equal(a.TotalBytes, b.TotalBytes);
        Assert.Equal(_layout.Names.Order(), a.TensorNames.Order());
        Assert.Equal(_layout.Names.Order(), b.TensorNames.Order());
        foreach (var spec in _layout.Tensors)
        {
            using var x = a.ReadTensor(spec.Name, spec.Shape, torch.ScalarType.Float32, torch.CPU);
            using var y = b.ReadTensor(spec.Name, spec.Shape, torch.ScalarType.Float32, torch.CPU);
            Assert.Equal(Values(x), Values(y));
        }
        a.CheckNoUnexpectedTensors(_layout.Names);
        b.CheckTensors(_layout.Tensors);
    }

    [Fact]
    public void Index_lists_every_tensor_once_with_the_total_size()
    {
        SyntheticCheckpoints.Write(_dir.Path, SmallShards);
        var index = SafetensorsIndex.Read(_dir.File("model.safetensors.index.json"));
        var checkpoint = CheckpointDirectory.Open(_dir.Path);

        Assert.Equal(_layout.Names.Order(), index.WeightMap.Keys.Order());
        Assert.Equal(checkpoint.TotalBytes, index.TotalSize);
        Assert.Equal(checkpoint.Files.Select(f => Path.GetFileName(f.Path)), index.ShardFiles);
        Assert.Equal($"model-00001-of-{index.ShardFiles.Count:D5}.safetensors", index.ShardFiles[0]);
        Assert.Equal(checkpoint.FileOf("lm_head.weight"), _dir.File(index.WeightMap["lm_head.weight"]));
    }

    [Theory]
    [InlineData("{}", "'weight_map' is missing")]
    [InlineData("{\"weight_map\":{}}", "'weight_map' is empty")]
    [InlineData("{\"weight_map\":{\"a\":3}}", "the shard of tensor 'a' must be a file name string")]
    [InlineData("{\"weight_map\":{\"a\":\"../x.safetensors\"}}", "must be a file name in the checkpoint directory")]
    [InlineData("{\"metadata\":{\"total_size\":\"big\"},\"weight_map\":{\"a\":\"x\"}}", "'metadata.total_size' must be a non-negative integer")]
    [InlineData("{\"weight_map\":", "not valid JSON")]
    [InlineData("{\"weight_map\":{\"a\":\"x\",\"a\":\"y\"}}", "not valid JSON: Duplicate property")]
    public void Malformed_index_is_named(string json, string expected)
    {
        var error = Assert.Throws<CheckpointException>(() => SafetensorsIndex.Parse(json, "idx.json"));

        Assert.StartsWith("idx.json: invalid shard index", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Missing_directory_config_and_weights_are_named()
    {
        string absent = _dir.File("absent");
        Assert.Contains($"{absent}: the checkpoint directory does not exist", Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(absent)).Message);

        Assert.Contains("no config.json", Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(_dir.Path)).Message);

        File.WriteAllText(_dir.File("config.json"), SyntheticCheckpoints.TinyConfig.ToJson());
        Assert.Contains("no weights: neither model.safetensors nor model.safetensors.index.json",
            Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(_dir.Path)).Message);

        File.WriteAllText(_dir.File("config.json"), "{\"model_type\":\"llama\"}");
        var badConfig = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(_dir.Path));
        Assert.Contains("model_type 'llama'", badConfig.Message);
        Assert.IsType<Dllm.Model.ModelConfigException>(badConfig.InnerException);
    }

    [Fact]
    public void Missing_shard_file_is_named_with_the_index()
    {
        var shards = SyntheticCheckpoints.Write(_dir.Path, SmallShards);
        File.Delete(shards[1]);

        var error = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(_dir.Path));

        Assert.Contains($"shard file '{Path.GetFileName(shards[1])}' is missing", error.Message);
        Assert.Contains("model.safetensors.index.json maps", error.Message);
        Assert.Equal(shards[1], error.FilePath);
    }

    [Fact]
    public void Tensor_in_a_shard_but_not_in_the_index_is_named()
    {
        SyntheticCheckpoints.Write(_dir.Path, SmallShards);
        var (index, map) = LoadIndex();
        string dropped = "model.layers.1.mlp.experts.3.up_proj.weight";
        string shard = map[dropped]!.GetValue<string>();
        map.Remove(dropped);
        File.WriteAllText(_dir.File("model.safetensors.index.json"), index.ToJsonString());

        var error = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(_dir.Path));

        Assert.Contains($"{_dir.File(shard)}: the shard holds 1 tensors that", error.Message);
        Assert.Contains($"'{dropped}'", error.Message);
        Assert.Equal(dropped, error.TensorName);
    }

    [Fact]
    public void Index_entry_whose_shard_lacks_the_tensor_is_named()
    {
        SyntheticCheckpoints.Write(_dir.Path, SmallShards);
        var (index, map) = LoadIndex();
        map["model.layers.9.ghost.weight"] = map["model.word_embeddings.weight"]!.GetValue<string>();
        File.WriteAllText(_dir.File("model.safetensors.index.json"), index.ToJsonString());

        var error = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(_dir.Path));

        Assert.Contains("tensor 'model.layers.9.ghost.weight' is mapped to this shard", error.Message);
        Assert.Contains("but the shard does not hold it", error.Message);
    }

    [Fact]
    public void Missing_tensor_and_shape_mismatch_name_the_tensor_and_shard()
    {
        SyntheticCheckpoints.Write(_dir.Path, SmallShards);
        var checkpoint = CheckpointDirectory.Open(_dir.Path);
        string name = "model.layers.1.mlp.gate.weight";

        var missing = Assert.Throws<CheckpointException>(() => checkpoint.ReadTensor("model.layers.5.mlp.gate.weight", [16, 64], torch.ScalarType.Float32, torch.CPU));
        var shape = Assert.Throws<CheckpointException>(() => checkpoint.ReadTensor(name, [64, 16], torch.ScalarType.Float32, torch.CPU));

        Assert.Contains("tensor 'model.layers.5.mlp.gate.weight' is not in the checkpoint", missing.Message);
        Assert.Contains($"{checkpoint.FileOf(name)}: tensor '{name}' has shape [16, 64], expected [64, 16]", shape.Message);
        Assert.Equal(name, shape.TensorName);
    }

    [Fact]
    public void Unexpected_tensors_are_listed()
    {
        string source = _dir.File("src");
        SyntheticCheckpoints.Write(source);
        var original = SafetensorsFile.Open(Path.Combine(source, "model.safetensors"));
        var tensors = new List<KeyValuePair<string, torch.Tensor>>();
        foreach (string name in original.Tensors.Keys)
            tensors.Add(new(name, original.ReadTensor(name, null, torch.ScalarType.Float32, torch.CPU)));
        tensors.Add(new("model.layers.0.attention.rotary_emb.inv_freq", Exact(8)));
        string target = _dir.File("extra");
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(target, "config.json"));
        SafetensorsWriter.WriteFile(Path.Combine(target, "model.safetensors"), tensors, torch.ScalarType.Float32);
        tensors.ForEach(t => t.Value.Dispose());
        var checkpoint = CheckpointDirectory.Open(target);

        var error = Assert.Throws<CheckpointException>(() => checkpoint.CheckNoUnexpectedTensors(_layout.Names));

        Assert.Contains("1 tensors the model does not use: 'model.layers.0.attention.rotary_emb.inv_freq'", error.Message);
        Assert.Equal("model.layers.0.attention.rotary_emb.inv_freq", error.TensorName);
    }

    [Fact]
    public void Whole_checkpoint_check_lists_missing_misshaped_and_unexpected_tensors_at_once()
    {
        SyntheticCheckpoints.Write(_dir.Path);
        var checkpoint = CheckpointDirectory.Open(_dir.Path);
        var expected = _layout.Tensors
            .Where(t => t.Name != "model.norm.weight")
            .Select(t => t.Name == "lm_head.weight" ? t with { Shape = [100, 64] } : t)
            .Append(new CheckpointTensorSpec("model.layers.0.mlp.gate.weight", [16, 64]))
            .ToList();

        var error = Assert.Throws<CheckpointException>(() => checkpoint.CheckTensors(expected));

        Assert.Contains("1 missing: 'model.layers.0.mlp.gate.weight'", error.Message);
        Assert.Contains("'lm_head.weight' is [256, 64], expected [100, 64] (model.safetensors)", error.Message);
        Assert.Contains("1 unexpected: 'model.norm.weight'", error.Message);
    }

    [Fact]
    public void Reads_convert_dtype_and_report_progress()
    {
        SyntheticCheckpoints.Write(_dir.Path, SmallShards);
        var checkpoint = CheckpointDirectory.Open(_dir.Path);
        var reports = new List<CheckpointLoadProgress>();
        checkpoint.Progress = new SynchronousProgress(reports.Add);

        foreach (var spec in _layout.Tensors)
        {
            using var tensor = checkpoint.ReadTensor(spec.Name, spec.Shape, torch.ScalarType.BFloat16, torch.CPU);
            Assert.Equal(torch.ScalarType.BFloat16, tensor.dtype);
        }

        Assert.Equal(_layout.Tensors.Count, reports.Count);
        Assert.Equal(_layout.Tensors.Select(t => t.Name), reports.Select(r => r.TensorName));
        Assert.Equal(checkpoint.TotalBytes, reports[^1].BytesDone);
        Assert.Equal(checkpoint.TotalBytes, checkpoint.BytesRead);
        Assert.All(reports, r => Assert.Equal(checkpoint.TotalBytes, r.BytesTotal));
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.Equal(_layout.Tensors.Count, reports[^1].TensorsDone);
        Assert.Equal(_layout.ParameterCount * 4, checkpoint.TotalBytes);
    }

    private (JsonObject Index, JsonObject Map) LoadIndex()
    {
        var index = JsonNode.Parse(File.ReadAllText(_dir.File("model.safetensors.index.json")))!.AsObject();
        return (index, index["weight_map"]!.AsObject());
    }

    private sealed class SynchronousProgress(Action<CheckpointLoadProgress> report) : IProgress<CheckpointLoadProgress>
    {
        public void Report(CheckpointLoadProgress value) => report(value);
    }
}
