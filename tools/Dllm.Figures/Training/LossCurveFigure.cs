using ScottPlot;

namespace Dllm.Figures.Training;

/// <summary>The loss curve of a training run as a PNG (ScottPlot): training loss (a moving mean over the log's
/// lines) and held-out loss against the step, on a log scale.</summary>
public static class LossCurveFigure
{
    /// <summary>Writes the figure of <paramref name="log"/> to <paramref name="path"/>.</summary>
    public static void Write(TrainingLog log, string title, string path, int width = 900, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(log);
        var plot = new Plot();
        var train = Smooth(log.TrainLoss, window: 10);
        var trainLine = plot.Add.ScatterLine(train.Select(p => (double)p.Step).ToArray(), train.Select(p => Math.Log10(p.Loss)).ToArray());
        trainLine.LegendText = "training loss (moving mean)";
        trainLine.LineWidth = 1.5f;
        if (log.HeldOutLoss.Count > 0)
        {
            var heldOut = plot.Add.Scatter(log.HeldOutLoss.Select(p => (double)p.Step).ToArray(), log.HeldOutLoss.Select(p => Math.Log10(p.Loss)).ToArray());
            heldOut.LegendText = "held-out loss";
            heldOut.LineWidth = 2;
            heldOut.MarkerSize = 6;
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("loss (1/t-weighted CE per response token)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, width, height);
    }

    private static List<(int Step, double Loss)> Smooth(IReadOnlyList<(int Step, double Loss)> points, int window) =>
        [.. points.Select((p, i) => (p.Step, points.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average(q => q.Loss)))];
}
