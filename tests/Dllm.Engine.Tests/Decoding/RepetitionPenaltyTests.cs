using Dllm.Decoding;
using Dllm.Tests.Infrastructure;
using TorchSharp;

namespace Dllm.Tests.Decoding;

public class RepetitionPenaltyTests
{
    [Fact]
    public void Without_a_penalty_the_logits_are_left_alone()
    {
        Torch.EnsureLoaded();
        using var logits = torch.zeros(1, 2, 4);
        using var previous = torch.zeros([1, 2], torch.int64);
        Assert.Null(new JointThresholdAlgorithm(new JointThresholdOptions()).AdjustLogits(logits, previous));
    }

    [Fact]
    public void The_previous_positions_token_loses_by_lambda_and_the_argmax_changes()
    {
        Torch.EnsureLoaded();
        // Two requests × two positions × four tokens; without the penalty the previous position's token would win.
        float[] values =
        [
            3, 2, 0, 0,   0, 0, 3, 2.5f,
            0, 1, 2, 0,   5, 0, 0, 4.5f,
        ];
        using var logits = torch.tensor(values).reshape(2, 2, 4);
        using var previous = torch.tensor(new long[] { 0, 2, 2, 0 }).reshape(2, 2);
        var algorithm = new JointThresholdAlgorithm(new JointThresholdOptions { PenaltyLambda = 1.5 });

        using var adjusted = algorithm.AdjustLogits(logits, previous)!;
        using var argmax = adjusted.argmax(-1);

        Assert.Equal(new long[] { 1, 3, 1, 3 }, argmax.data<long>().ToArray());
        float[] expected = (float[])values.Clone();
        foreach (var (flat, token) in new[] { (0, 0), (4, 2), (8, 2), (12, 0) })
            expected[flat + token] -= 1.5f;
        Assert.Equal(expected, adjusted.data<float>().ToArray());
        Assert.Equal(values, logits.data<float>().ToArray()); // the input is not modified
    }
}
