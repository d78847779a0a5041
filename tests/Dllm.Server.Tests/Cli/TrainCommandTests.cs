using System.CommandLine;
using Dllm.Cli;

namespace Dllm.Server.Tests.Cli;

/// <summary><c>dllm train</c>'s flags: a number-piece width the tokenizer cannot use is refused at parse time, naming the
/// flag, before any data or model is made.</summary>
public sealed class TrainCommandTests
{
    private static ParseResult Parse(params string[] args) => new RootCommand { TrainCommand.Create() }.Parse(["train", "--output", "out", .. args]);

    [Theory]
    [InlineData("0")]
    [InlineData("4")]
    public void Number_piece_digits_outside_1_to_3_are_refused_naming_the_flag(string digits)
    {
        var error = Assert.Single(Parse("--number-piece-digits", digits).Errors);
        Assert.Equal($"--number-piece-digits {digits} is not 1, 2 or 3 (digits per number piece of the tokenizer's split).", error.Message);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("3")]
    public void Number_piece_digits_from_1_to_3_parse(string digits) => Assert.Empty(Parse("--number-piece-digits", digits).Errors);
    [Theory]
    [InlineData("-0.1")]
    [InlineData("1.5")]
    public void A_full_mask_fraction_outside_0_to_1_is_refused_naming_the_flag(string fraction)
    {
        var error = Assert.Single(Parse("--full-mask-fraction", fraction).Errors);
        Assert.Equal($"--full-mask-fraction {fraction} is not in 0..1 (the fraction of training blocks masked whole).", error.Message);
    }

    [Fact]
    public void A_full_mask_fraction_in_0_to_1_parses() => Assert.Empty(Parse("--full-mask-fraction", "0.25").Errors);
}
