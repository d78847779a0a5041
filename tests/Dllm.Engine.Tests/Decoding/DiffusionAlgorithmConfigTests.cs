using Dllm.Decoding;
using Dllm.Tests.Infrastructure;

namespace Dllm.Tests.Decoding;

public sealed class DiffusionAlgorithmConfigTests : IDisposable
{
    private readonly string directory = TestPaths.NewTempDirectory("dllm-algo-config");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string yaml, string name = "algo.yaml")
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Loads <paramref name="yaml"/> from a real file and returns the error, checking that it names the file.</summary>
    private string LoadError(string yaml, string algorithm = "LowConfidence")
    {
        string path = Write(yaml);
        var error = Assert.Throws<AlgorithmConfigException>(() => DiffusionAlgorithmConfig.LoadFile(path, algorithm));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        return error.Message;
    }

    [Fact]
    public void Reads_the_keys_of_a_file_with_comments()
    {
        string path = Write("# LowConfidence\nthreshold: 0.85   # more tokens per step\nblock_size: 64\n");

        var config = DiffusionAlgorithmConfig.LoadFile(path, "LowConfidence");

        Assert.Equal(path, config.Source);
        Assert.Equal(new Dictionary<string, double> { ["threshold"] = 0.85, ["block_size"] = 64 }, config.Values);
        Assert.Equal(new LowConfidenceOptions { Threshold = 0.85, BlockSize = 64 }, LowConfidenceOptions.FromConfig(config));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    public void An_empty_file_means_the_defaults(string yaml)
    {
        var config = DiffusionAlgorithmConfig.LoadFile(Write(yaml), "JointThreshold");
        Assert.Empty(config.Values);
        Assert.Equal(new JointThresholdOptions(), JointThresholdOptions.FromConfig(config));
    }

    [Fact]
    public void The_default_config_gives_each_algorithm_its_defaults()
    {
        Assert.Empty(DiffusionAlgorithmConfig.Default.Values);
        Assert.Equal(new LowConfidenceOptions(), LowConfidenceOptions.FromConfig(DiffusionAlgorithmConfig.Default));
    }

    [Fact]
    public void An_unknown_key_is_named_with_the_valid_keys()
    {
        string message = LoadError("threshold: 0.9\nthreshhold: 0.8\n");
        Assert.Contains("unknown key 'threshhold'", message, StringComparison.Ordinal);
        Assert.Contains("LowConfidence", message, StringComparison.Ordinal);
        Assert.Contains("valid keys: threshold, block_size", message, StringComparison.Ordinal);
        Assert.Contains("line 2", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_algorithm_is_unknown()
    {
        string message = LoadError("edit_threshold: 0.1\n");
        Assert.Contains("unknown key 'edit_threshold'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("threshold: high", "threshold", "'high'")]
    [InlineData("threshold: '0.5'", "threshold", "the string \"0.5\"")]
    [InlineData("threshold:", "threshold", "no value")]
    [InlineData("threshold: [0.5]", "threshold", "a sequence")]
    [InlineData("threshold: {value: 0.5}", "threshold", "a mapping")]
    [InlineData("threshold: .nan", "threshold", "'.nan'")]
    [InlineData("block_size: 32.5", "block_size", "'32.5'")]
    [InlineData("block_size: true", "block_size", "'true'")]
    public void A_value_of_the_wrong_type_names_the_key(string yaml, string key, string got)
    {
        string message = LoadError(yaml);
        Assert.Contains($"key '{key}' must be", message, StringComparison.Ordinal);
        Assert.Contains($"got {got}", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("threshold: 1.5", "LowConfidence", "threshold", "a number in [0, 1]")]
    [InlineData("threshold: -0.1", "LowConfidence", "threshold", "a number in [0, 1]")]
    [InlineData("block_size: 0", "LowConfidence", "block_size", "an integer in [1, 1024]")]
    [InlineData("block_size: 1025", "JointThreshold", "block_size", "an integer in [1, 1024]")]
    [InlineData("max_post_edit_steps: -1", "JointThreshold", "max_post_edit_steps", "an integer >= 0")]
    [InlineData("edit_threshold: 2", "JointThreshold", "edit_threshold", "a number in [0, 1]")]
    [InlineData("penalty_lambda: -1", "JointThreshold", "penalty_lambda", "a number >= 0")]
    public void An_out_of_range_value_names_the_key_and_the_range(string yaml, string algorithm, string key, string expected)
    {
        string message = LoadError(yaml, algorithm);
        Assert.Contains($"key '{key}' must be {expected}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(directory, "missing.yaml");
        var error = Assert.Throws<AlgorithmConfigException>(() => DiffusionAlgorithmConfig.LoadFile(path, "LowConfidence"));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_path_is_named()
    {
        var error = Assert.Throws<AlgorithmConfigException>(() => DiffusionAlgorithmConfig.LoadFile(directory, "LowConfidence"));
        Assert.Contains(directory, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot read", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("threshold: [0.5\n")]
    [InlineData("threshold: 0.5\n  block_size: 32\n bad")]
    [InlineData("threshold: 0.5\nthreshold: 0.6\n")]
    public void Malformed_yaml_names_the_file_and_the_line(string yaml)
    {
        string message = LoadError(yaml);
        Assert.Contains("line", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("- threshold: 0.5\n", "sequence")]
    [InlineData("0.95\n", "scalar")]
    [InlineData("a: 1\n---\nb: 2\n", "documents")]
    public void The_root_must_be_one_mapping(string yaml, string got)
    {
        string message = LoadError(yaml);
        Assert.Contains("mapping", message, StringComparison.Ordinal);
        Assert.Contains(got, message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_algorithm_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => DiffusionAlgorithmConfig.Parse("threshold: 0.5", "Nope", "x.yaml"));
    }

    [Fact]
    public void Request_overrides_replace_threshold_and_block_size()
    {
        var config = DiffusionAlgorithmConfig.Parse("threshold: 0.9\nblock_size: 32", "LowConfidence", "file.yaml");

        var overridden = config.WithOverrides(threshold: 0.7, blockSize: 16);

        Assert.Equal(new LowConfidenceOptions { Threshold = 0.7, BlockSize = 16 }, LowConfidenceOptions.FromConfig(overridden));
        Assert.Equal(0.9, config.Values["threshold"]);
        Assert.Same(config, config.WithOverrides(null, null));
        Assert.Equal(64, config.WithOverrides(null, 64).Values["block_size"]);
        Assert.Equal(0.9, config.WithOverrides(null, 64).Values["threshold"]);
    }

    [Theory]
    [InlineData(1.5, null, "threshold")]
    [InlineData(double.NaN, null, "threshold")]
    [InlineData(null, 0, "block_size")]
    [InlineData(null, 2048, "block_size")]
    public void Request_overrides_are_validated_like_file_values(double? threshold, int? blockSize, string key)
    {
        var error = Assert.Throws<AlgorithmConfigException>(() => DiffusionAlgorithmConfig.Default.WithOverrides(threshold, blockSize));
        Assert.Contains($"request: key '{key}' must be", error.Message, StringComparison.Ordinal);
    }
}
