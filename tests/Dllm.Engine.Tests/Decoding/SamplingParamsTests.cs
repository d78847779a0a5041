using Dllm.Decoding;

namespace Dllm.Tests.Decoding;

public class SamplingParamsTests
{
    [Fact]
    public void Defaults_are_greedy_and_valid()
    {
        var defaults = new SamplingParams();
        defaults.Validate();
        Assert.Equal((128, 0.0, 1.0, -1, 0.0, (long?)null), (defaults.MaxNewTokens, defaults.Temperature, defaults.TopP, defaults.TopK, defaults.MinP, defaults.Seed));
        Assert.Empty(defaults.StopTokenIds);
        Assert.Empty(defaults.Stop);
        Assert.False(defaults.IgnoreEos);
        Assert.True(defaults.SkipSpecialTokens);
        Assert.False(defaults.NoStopTrim);
        Assert.True(defaults.IsGreedy);
    }

    [Theory]
    [InlineData(0.0, -1, true)]
    [InlineData(0.7, -1, false)]
    [InlineData(0.7, 1, true)]
    [InlineData(0.7, 2, false)]
    public void Greedy_means_temperature_zero_or_top_k_one(double temperature, int topK, bool greedy)
    {
        Assert.Equal(greedy, new SamplingParams { Temperature = temperature, TopK = topK }.IsGreedy);
    }

    public static TheoryData<SamplingParams, string> Invalid => new()
    {
        { new SamplingParams { MaxNewTokens = -1 }, "max_new_tokens" },
        { new SamplingParams { Temperature = -0.1 }, "temperature" },
        { new SamplingParams { Temperature = double.NaN }, "temperature" },
        { new SamplingParams { Temperature = double.PositiveInfinity }, "temperature" },
        { new SamplingParams { Temperature = 3.5e38 }, "temperature" },
        { new SamplingParams { Temperature = 1e39 }, "temperature" },
        { new SamplingParams { Temperature = 1e300 }, "temperature" },
        { new SamplingParams { TopP = 1e-46 }, "top_p" },
        { new SamplingParams { TopP = double.NaN }, "top_p" },
        { new SamplingParams { MinP = 1e-46 }, "min_p" },
        { new SamplingParams { MinP = double.NaN }, "min_p" },
        { new SamplingParams { TopP = 0 }, "top_p" },
        { new SamplingParams { TopP = 1.01 }, "top_p" },
        { new SamplingParams { TopK = 0 }, "top_k" },
        { new SamplingParams { TopK = -2 }, "top_k" },
        { new SamplingParams { MinP = -0.01 }, "min_p" },
        { new SamplingParams { MinP = 1.5 }, "min_p" },
        { new SamplingParams { StopTokenIds = [-3] }, "stop_token_ids" },
        { new SamplingParams { Stop = [""] }, "stop" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validation_names_the_snake_case_field(SamplingParams invalid, string field)
    {
        var error = Assert.Throws<ArgumentException>(invalid.Validate);
        Assert.Equal(field, error.ParamName);
        Assert.StartsWith(field + " must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_edges_pass()
    {
        new SamplingParams { MaxNewTokens = 0, Temperature = 2, TopP = 1e-9, TopK = 1, MinP = 1, Seed = -5, StopTokenIds = [0], Stop = ["\n"] }.Validate();
    }

    [Fact]
    public void The_float32_range_edges_pass()
    {
        new SamplingParams { Temperature = float.MaxValue, TopP = float.Epsilon, MinP = float.Epsilon }.Validate();
        new SamplingParams { Temperature = 1e-30, TopP = 1e-45, MinP = 1e-45 }.Validate();
    }

    [Fact]
    public void Out_of_float32_range_messages_name_the_bound()
    {
        var temperature = Assert.Throws<ArgumentException>(new SamplingParams { Temperature = 1e39 }.Validate);
        var topP = Assert.Throws<ArgumentException>(new SamplingParams { TopP = 1e-46 }.Validate);

        Assert.StartsWith("temperature must be a finite number >= 0 and at most 3.4028235E+38 (the float32 range), got 1E+39.", temperature.Message);
        Assert.StartsWith("top_p must be at least 1E-45 (the smallest float32 above 0), got 1E-46.", topP.Message);
    }
}
