using System.Diagnostics;
using Dllm.Checkpoints;
using Dllm.Testing;

namespace Dllm.Engine.Tests.Engine;

/// <summary>DllmEngine.CreateAsync on a 1.2 GB checkpoint: progress per tensor, and a cancellation during the load ends it within a second.</summary>
public sealed class EngineLoadCancellationTests(LargeCheckpoint checkpoint) : IClassFixture<LargeCheckpoint>
{
    private DllmEngineOptions Options => TestEngines.Options(checkpoint.Directory, maxRunningRequests: 1) with { DType = "bfloat16", ContextLength = 256 };

    [Fact]
    public async Task A_cancellation_during_the_load_throws_within_a_second()
    {
        Assert.True(checkpoint.Bytes > 1_000_000_000, $"the checkpoint has {checkpoint.Bytes} bytes");
        using var cancellation = new CancellationTokenSource();
        var cancelled = new Stopwatch();
        var reports = new List<CheckpointLoadProgress>();
        var progress = new SynchronousProgress(p =>
        {
            reports.Add(p);
            if (p.BytesDone > 100_000_000 && !cancellation.IsCancellationRequested)
            {
                cancelled.Start();
                cancellation.Cancel();
            }
        });

        var load = DllmEngine.CreateAsync(Options, progress, cancellationToken: cancellation.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => load);

        Assert.True(cancelled.IsRunning, "the load never passed 100 MB");
        Assert.True(cancelled.Elapsed < TimeSpan.FromSeconds(1), $"the load went on for {cancelled.Elapsed.TotalSeconds:F2} s after the cancellation");
        Assert.True(reports[^1].BytesDone < checkpoint.Bytes / 2, $"{reports[^1].BytesDone} of {checkpoint.Bytes} bytes were read");
        Assert.Equal(Enumerable.Range(1, reports.Count), reports.Select(r => r.TensorsDone));
        Assert.All(reports, r => Assert.Equal(reports[0].BytesTotal, r.BytesTotal));
        Assert.True(reports[0].BytesTotal > 1_000_000_000);
    }

    [Fact]
    public async Task A_token_cancelled_before_the_start_loads_nothing()
    {
        var reports = new List<CheckpointLoadProgress>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            DllmEngine.CreateAsync(Options, new SynchronousProgress(reports.Add), cancellationToken: new CancellationToken(canceled: true)));

        Assert.Empty(reports);
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the loading thread.</summary>
    private sealed class SynchronousProgress(Action<CheckpointLoadProgress> report) : IProgress<CheckpointLoadProgress>
    {
        public void Report(CheckpointLoadProgress value) => report(value);
    }
}
