using Dllm.Figures.Serving;

namespace Dllm.Figures.Tests;

public sealed class ServingScalingTests : BenchFiles
{
    private static string Row(string model, int concurrency, double tokensPerSecond) =>
        $$"""{ "Model": "{{model}}", "Concurrency": {{concurrency}}, "NewTokensEach": 256, "Seconds": 1.5, "TokensPerSecond": {{tokensPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "StepsPerSecond": 1 }""";

    [Fact]
    public void A_run_merges_its_files_by_model_and_concurrency()
    {
        string few = Write("e2e-1-16.json", $"[ {Row("random", 1, 100.3)}, {Row("random", 16, 662)}, {Row("peaked", 1, 1013)} ]");
        string many = Write("e2e-64.json", $"[ {Row("random", 64, 1162.5)}, {Row("peaked", 64, 3231)} ]");

        var run = ServingRun.Read("session 7", [few, many]);

        Assert.Equal(["peaked", "random"], run.TokensPerSecond.Keys);
        Assert.Equal([1, 16, 64], run.TokensPerSecond["random"].Keys);
        Assert.Equal([100.3, 662, 1162.5], run.TokensPerSecond["random"].Values);
        Assert.Equal([1, 64], run.TokensPerSecond["peaked"].Keys);
        Assert.Equal(["random"], ServingRun.Read("only random", [few, many], "random").TokensPerSecond.Keys);
    }

    [Fact]
    public void Files_that_are_not_an_end_to_end_run_are_refused_by_name()
    {
        string step = Write("step.json", """{ "Steps": [] }""");
        string twice = Write("twice.json", $"[ {Row("random", 16, 1)}, {Row("random", 16, 2)} ]");
        string noModel = Write("nomodel.json", """[ { "Concurrency": 1, "TokensPerSecond": 2 } ]""");
        string peaked = Write("peaked.json", $"[ {Row("peaked", 1, 2)} ]");

        Assert.Equal($"{step}: not an array of rows: not the end-to-end bench's JSON", Assert.Throws<FormatException>(() => ServingRun.Read("x", [step])).Message);
        Assert.Equal($"{twice}: a second row for model random at 16 concurrent requests", Assert.Throws<FormatException>(() => ServingRun.Read("x", [twice])).Message);
        Assert.Equal($"{noModel}: a row has no string \"Model\"", Assert.Throws<FormatException>(() => ServingRun.Read("x", [noModel])).Message);
        Assert.Equal($"{peaked}: no rows for model random", Assert.Throws<FormatException>(() => ServingRun.Read("x", [peaked], "random")).Message);
    }

    [Fact]
    public void The_figure_is_a_png_of_the_size_asked_for()
    {
        var run = ServingRun.Read("now", [Write("e2e.json", $"[ {Row("random", 1, 171)}, {Row("random", 16, 1256)}, {Row("random", 64, 2412)}, {Row("random", 256, 4048)} ]")]);
        string output = PathOf("scaling.png");

        ServingScalingFigure.Write([run], (16, 10), "scaling", output, width: 800, height: 450);

        Assert.Equal((800, 450), PngSize(output));
    }
}
