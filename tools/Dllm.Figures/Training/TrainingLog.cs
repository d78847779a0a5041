using System.Globalization;
using System.Text.RegularExpressions;

namespace Dllm.Figures.Training;

/// <summary>The loss history a <c>dllm train</c> log holds: its "step N/M loss X" lines (the mean of the steps since
/// the last line) and its "step N: held-out loss X" lines.</summary>
public sealed partial record TrainingLog(IReadOnlyList<(int Step, double Loss)> TrainLoss, IReadOnlyList<(int Step, double Loss)> HeldOutLoss)
{
    /// <summary>Reads the loss lines of a training log.</summary>
    public static TrainingLog Parse(IEnumerable<string> lines)
    {
        var train = new List<(int, double)>();
        var heldOut = new List<(int, double)>();
        foreach (string line in lines)
        {
            if (TrainLine().Match(line) is { Success: true } t)
                train.Add((int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(t.Groups[2].Value, CultureInfo.InvariantCulture)));
            else if (HeldOutLine().Match(line) is { Success: true } h)
                heldOut.Add((int.Parse(h.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(h.Groups[2].Value, CultureInfo.InvariantCulture)));
        }
        if (train.Count == 0)
            throw new FormatException("no \"step N/M loss X\" line: not a dllm train log");
        return new TrainingLog(train, heldOut);
    }

    [GeneratedRegex(@"step (\d+)/\d+ loss ([0-9.]+)")]
    private static partial Regex TrainLine();

    [GeneratedRegex(@"step (\d+): held-out loss ([0-9.]+)")]
    private static partial Regex HeldOutLine();
}
