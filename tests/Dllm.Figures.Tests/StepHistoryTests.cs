using Dllm.Figures.Steps;

namespace Dllm.Figures.Tests;

public sealed class StepHistoryTests : BenchFiles
{
    // The shape Dllm.Bench writes (BenchResults), with the fields the figure does not read left in.
    private static string StepJson(string date, params (int Prefix, int Batch, double MedianMs)[] steps) => $$"""
        {
          "Device": "NVIDIA H200",
          "Shape": "mini",
          "DType": "bf16",
          "Date": "{{date}}",
          "CudaGraphs": true,
          "Prefill": [ { "Tokens": 1024, "MedianMs": 15.3, "TokensPerSecond": 66770.9 } ],
          "Steps": [ {{string.Join(", ", steps.Select(s => $$"""{ "Prefix": {{s.Prefix}}, "Batch": {{s.Batch}}, "MedianMs": {{s.MedianMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "P90Ms": 1, "BytesRead": 2, "AchievedGBps": 3, "RatioToFloor": 4, "GpuMemoryUsedGB": 36.2, "TensorsPerStep": 5 }"""))}} ]
        }
        """;

    [Fact]
    public void A_run_keeps_the_medians_at_its_prefix_by_batch()
    {
        string path = Write("step.json", StepJson("2026-12-04 21:12:45Z", (0, 1, 5.1), (1024, 16, 11.4231), (1024, 1, 6.218), (8192, 1, 6.5), (1024, 4, 9.635)));

        var run = StepRun.Read(path, 1024);

        Assert.Equal(new DateTimeOffset(2026, 12, 4, 21, 12, 45, TimeSpan.Zero), run.Date);
        Assert.Equal("NVIDIA H200", run.Device);
        Assert.Equal([1, 4, 16], run.MedianMsByBatch.Keys);
        Assert.Equal([6.218, 9.635, 11.4231], run.MedianMsByBatch.Values);
        Assert.Equal([1], StepRun.Read(path, 8192).MedianMsByBatch.Keys);
    }

    [Fact]
    public void Files_that_are_not_a_step_run_are_refused_by_name()
    {
        string noRow = Write("prefill.json", StepJson("2026-12-03 13:36:00Z", (0, 1, 5.0)));
        string e2e = Write("e2e.json", """[ { "Model": "random", "Concurrency": 1, "TokensPerSecond": 175.1 } ]""");
        string broken = Write("broken.json", "{ \"Steps\": [");
        string twice = Write("twice.json", StepJson("2026-12-03 13:36:00Z", (1024, 4, 9.0), (1024, 4, 9.1)));
        string badDate = Write("date.json", StepJson("yesterday", (1024, 4, 9.0)));

        Assert.Equal($"{noRow}: no \"Steps\" row with \"Prefix\" 1024", Assert.Throws<FormatException>(() => StepRun.Read(noRow, 1024)).Message);
        Assert.Equal($"{e2e}: no \"Steps\" array: not the step bench's JSON", Assert.Throws<FormatException>(() => StepRun.Read(e2e, 1024)).Message);
        Assert.StartsWith($"{broken}: not JSON (", Assert.Throws<FormatException>(() => StepRun.Read(broken, 1024)).Message);
        Assert.Equal($"{twice}: two \"Steps\" rows for prefix 1024, batch 4", Assert.Throws<FormatException>(() => StepRun.Read(twice, 1024)).Message);
        Assert.Equal($"{badDate}: \"Date\" is \"yesterday\", not a date", Assert.Throws<FormatException>(() => StepRun.Read(badDate, 1024)).Message);
    }

    [Fact]
    public void A_reference_is_a_label_and_a_time_a_batch()
    {
        var bar = StepReference.Parse("issue 17's bar=1:7.3,4:13.2,16:16.5");

        Assert.Equal("issue 17's bar", bar.Label);
        Assert.Equal([1, 4, 16], bar.MsByBatch.Keys);
        Assert.Equal([7.3, 13.2, 16.5], bar.MsByBatch.Values);
        Assert.Equal("a=b", StepReference.Parse("a=b=1:2").Label);
        foreach (string bad in new[] { "no equals", "=1:2", "label=", "label=1:2,1:3", "label=0:2", "label=1:-2", "label=1", "label=x:2" })
            Assert.StartsWith($"--reference \"{bad}\": ", Assert.Throws<FormatException>(() => StepReference.Parse(bad)).Message);
    }

    [Fact]
    public void The_figure_is_a_png_of_the_size_asked_for()
    {
        var runs = new[]
        {
            StepRun.Read(Write("a.json", StepJson("2026-12-02 19:44:27Z", (1024, 1, 9.99), (1024, 16, 20.4))), 1024),
            StepRun.Read(Write("b.json", StepJson("2026-12-04 21:12:45Z", (1024, 1, 6.2), (1024, 4, 9.6), (1024, 16, 11.4))), 1024),
        };
        string output = PathOf("history.png");

        StepHistoryFigure.Write(runs, [1, 4, 16], [StepReference.Parse("bar=1:7.3,4:13.2,16:16.5"), StepReference.Parse("floor=1:4.86")], "history", output, width: 640, height: 360);

        Assert.Equal((640, 360), PngSize(output));
        Assert.Equal("batches", Assert.Throws<ArgumentException>(() => StepHistoryFigure.Write(runs, [1, 8], [], "t", PathOf("x.png"))).ParamName);
        Assert.False(File.Exists(PathOf("x.png")));
    }
}
