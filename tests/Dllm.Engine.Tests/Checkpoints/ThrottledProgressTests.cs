using Dllm.Checkpoints;

namespace Dllm.Tests.Checkpoints;

public class ThrottledProgressTests
{
    [Fact]
    public void Reports_the_first_tensor_each_tenth_of_the_bytes_and_the_last_tensor()
    {
        var reported = new List<int>();
        var progress = new ThrottledProgress(10, p => reported.Add(p.TensorsDone));

        for (int done = 1; done <= 100; done++)
            progress.Report(new CheckpointLoadProgress($"t{done}", done, 100, done * 10L, 1000, TimeSpan.Zero));

        Assert.Equal([1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 100], reported);
    }
}
