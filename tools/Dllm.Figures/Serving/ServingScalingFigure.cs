using System.Globalization;
using ScottPlot;

namespace Dllm.Figures.Serving;

/// <summary>Throughput against the number of concurrent requests as a PNG (ScottPlot), both axes logarithmic: each
/// run's measured tokens a second for each of its models, the line of perfect scaling from its one-request row
/// (N × one request's rate), and, where given, a target multiple of one request's rate at one concurrency.</summary>
public static class ServingScalingFigure
{
    /// <summary>Writes the figure of <paramref name="runs"/> to <paramref name="path"/>.</summary>
    /// <param name="target">A target: at <c>Concurrency</c> requests, <c>Times</c> one request's rate (a marker for
    /// each model that has a one-request row), or null.</param>
    public static void Write(IReadOnlyList<ServingRun> runs, (int Concurrency, double Times)? target, string title, string path, int width = 1000, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int color = 0;
        var concurrencies = new SortedSet<int>();
        var rates = new List<double>();
        foreach (var run in runs)
        {
            foreach (var (model, byConcurrency) in run.TokensPerSecond)
            {
                var c = palette.GetColor(color++);
                int[] xs = [.. byConcurrency.Keys];
                concurrencies.UnionWith(xs);
                rates.AddRange(byConcurrency.Values);
                var measured = plot.Add.Scatter(xs.Select(x => Math.Log2(x)).ToArray(), byConcurrency.Values.Select(Math.Log10).ToArray(), c);
                measured.LegendText = $"{run.Label}: {model} weights";
                measured.LineWidth = 2;
                measured.MarkerSize = 7;
                if (!byConcurrency.TryGetValue(1, out double one))
                    continue;
                var ideal = plot.Add.Scatter(xs.Select(x => Math.Log2(x)).ToArray(), xs.Select(x => Math.Log10(x * one)).ToArray(), c);
                ideal.LinePattern = LinePattern.Dotted;
                ideal.LineWidth = 1;
                ideal.MarkerSize = 0;
                ideal.LegendText = $"{run.Label}: {model}, N × one request";
                rates.AddRange(xs.Select(x => x * one));
                if (target is { } t)
                {
                    var mark = plot.Add.Marker(Math.Log2(t.Concurrency), Math.Log10(t.Times * one), MarkerShape.OpenDiamond, 12, c);
                    mark.LegendText = $"{run.Label}: {model}, target {t.Times:0.#}× one request at {t.Concurrency}";
                    rates.Add(t.Times * one);
                }
            }
        }
        if (rates.Count == 0)
            throw new ArgumentException("no rows to draw", nameof(runs));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. concurrencies.Select(n => Math.Log2(n))], [.. concurrencies.Select(n => n.ToString(CultureInfo.InvariantCulture))]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("#,0", CultureInfo.InvariantCulture),
        };
        plot.Axes.SetLimitsY(Math.Log10(rates.Min()) - 0.15, Math.Log10(rates.Max()) + 0.1);
        plot.Title(title);
        plot.XLabel("concurrent requests");
        plot.YLabel("tokens / s");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, width, height);
    }
}
