using ScottPlot;

namespace Dllm.Figures.Steps;

/// <summary>The step bench's median step time at each batch size, run after run, as a PNG (ScottPlot): one coloured
/// series a batch size against the runs in the order of their dates (the date labelled where a group of runs starts:
/// the leases), and each reference as a horizontal line of that batch's colour (one line pattern a reference).</summary>
public static class StepHistoryFigure
{
    private static readonly LinePattern[] ReferencePatterns = [LinePattern.DenselyDashed, LinePattern.Dotted, LinePattern.Dashed];

    /// <summary>Runs this far apart or more start a new labelled group.</summary>
    private static readonly TimeSpan GroupGap = TimeSpan.FromHours(1);

    /// <summary>Writes the figure of <paramref name="runs"/> at <paramref name="batches"/> to <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">A batch size none of the runs measured.</exception>
    public static void Write(IReadOnlyList<StepRun> runs, IReadOnlyList<int> batches, IReadOnlyList<StepReference> references, string title, string path, int width = 1000, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count > ReferencePatterns.Length)
            throw new ArgumentException($"at most {ReferencePatterns.Length} references", nameof(references));
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var ordered = runs.OrderBy(r => r.Date).ToArray();
        for (int b = 0; b < batches.Count; b++)
        {
            int batch = batches[b];
            var measured = ordered.Where(r => r.MedianMsByBatch.ContainsKey(batch)).ToArray();
            if (measured.Length == 0)
                throw new ArgumentException($"no run measured batch {batch}", nameof(batches));
            var color = palette.GetColor(b);
            var series = plot.Add.Scatter(measured.Select(r => (double)Array.IndexOf(ordered, r)).ToArray(), measured.Select(r => r.MedianMsByBatch[batch]).ToArray(), color);
            series.LegendText = $"batch {batch}";
            series.LineWidth = 1.5f;
            series.MarkerSize = 6;
            for (int r = 0; r < references.Count; r++)
            {
                if (!references[r].MsByBatch.TryGetValue(batch, out double ms))
                    continue;
                plot.Add.HorizontalLine(ms, 1.5f, color, ReferencePatterns[r]);
            }
        }
        for (int r = 0; r < references.Count; r++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = references[r].Label, LineColor = Colors.Gray, LineWidth = 1.5f, LinePattern = ReferencePatterns[r] });
        var groupStarts = Enumerable.Range(0, ordered.Length).Where(i => i == 0 || ordered[i].Date - ordered[i - 1].Date >= GroupGap).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. groupStarts.Select(i => (double)i)], [.. groupStarts.Select(i => ordered[i].Date.UtcDateTime.ToString("MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperRight;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Axes.SetLimitsX(-0.5, ordered.Length - 0.5);
        plot.Axes.SetLimitsY(0, Math.Max(ordered.Max(r => r.MedianMsByBatch.Values.Max()), references.SelectMany(r => r.MsByBatch.Values).DefaultIfEmpty(0).Max()) * 1.08);
        plot.Title(title);
        plot.XLabel("runs in date order (UTC: where a lease's runs start)");
        plot.YLabel("median step time (ms)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, width, height);
    }
}
