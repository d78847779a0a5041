using Dllm.Decoding;

namespace Dllm.Tests.Decoding;

public class DiffusionAlgorithmsTests
{
    [Fact]
    public void Lists_the_registered_names()
    {
        Assert.Equal(["LowConfidence", "JointThreshold"], DiffusionAlgorithms.Names);
    }

    [Theory]
    [InlineData("LowConfidence", typeof(LowConfidenceAlgorithm), "LowConfidence")]
    [InlineData("lowconfidence", typeof(LowConfidenceAlgorithm), "LowConfidence")]
    [InlineData("JOINTTHRESHOLD", typeof(JointThresholdAlgorithm), "JointThreshold")]
    public void Finds_algorithms_by_name_in_any_case(string name, Type type, string canonical)
    {
        IDiffusionAlgorithm algorithm = DiffusionAlgorithms.Create(name);
        Assert.IsType(type, algorithm);
        Assert.Equal(canonical, algorithm.Name);
        Assert.Equal(32, algorithm.BlockSize);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => DiffusionAlgorithms.Create("Greedy"));
        Assert.Contains("'Greedy'", error.Message, StringComparison.Ordinal);
        Assert.Contains("LowConfidence, JointThreshold", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builds_the_algorithm_from_its_config()
    {
        var config = DiffusionAlgorithmConfig.Parse(
            "threshold: 0.7\nedit_threshold: 0.25\nmax_post_edit_steps: 4\npenalty_lambda: 1.5\nblock_size: 16\n", "JointThreshold", "joint.yaml");

        var algorithm = Assert.IsType<JointThresholdAlgorithm>(DiffusionAlgorithms.Create("JointThreshold", config));

        Assert.Equal(new JointThresholdOptions { Threshold = 0.7, EditThreshold = 0.25, MaxPostEditSteps = 4, PenaltyLambda = 1.5, BlockSize = 16 },
            algorithm.Options);
        Assert.Equal(16, algorithm.BlockSize);
    }

    [Fact]
    public void A_config_with_keys_of_another_algorithm_is_rejected_naming_the_key()
    {
        var config = DiffusionAlgorithmConfig.Parse("edit_threshold: 0.5", "JointThreshold", "joint.yaml");
        var error = Assert.Throws<AlgorithmConfigException>(() => DiffusionAlgorithms.Create("LowConfidence", config));
        Assert.Contains("'edit_threshold'", error.Message, StringComparison.Ordinal);
        Assert.Contains("joint.yaml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_each_algorithms_keys()
    {
        Assert.Equal(["threshold", "block_size"], DiffusionAlgorithms.KeysOf("LowConfidence").Select(k => k.Name));
        Assert.Equal(["threshold", "edit_threshold", "max_post_edit_steps", "penalty_lambda", "block_size"],
            DiffusionAlgorithms.KeysOf("jointthreshold").Select(k => k.Name));
    }
}
