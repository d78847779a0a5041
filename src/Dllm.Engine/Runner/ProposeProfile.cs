using System.Diagnostics;

namespace Dllm.Runner;

/// <summary>
/// Where <see cref="ModelRunner.Propose"/>'s time goes, summed over its calls (written by the scheduler thread, read from
/// any): <see cref="ProposeProfileSnapshot.Forward"/>, from the call until the step's logits exist (the pending clean
/// passes, input preparation, the forward or its graph replay), and <see cref="ProposeProfileSnapshot.Sample"/>, the rest
/// (logits post-processing, sampling and the one device-to-host copy); <see cref="ProposeProfileSnapshot.Inputs"/> is the
/// part of <c>Forward</c> that laid out the forwards' inputs on the host (the rest is enqueueing, or computing on a CPU). On CUDA the forward is only enqueued, so
/// <c>Forward</c> is the host's own cost of a step and <c>Sample</c> holds the wait for the device: a large
/// <c>Forward</c> is time outside the model. On the CPU both are compute.
/// </summary>
internal sealed class ProposeProfile
{
    private long _forward, _inputs, _sample;

    /// <summary>Benchmarks only: the step waits for the device once its logits are enqueued, so that
    /// <see cref="ProposeProfileSnapshot.Forward"/> holds the device's forward time and
    /// <see cref="ProposeProfileSnapshot.Sample"/> the sampling alone (it costs the overlap of the host's sampling work
    /// with the forward); a prefill waits for its forward too, so that the admission's time holds the prompts' device
    /// time, not the next step's first wait. Off by default.</summary>
    public bool SyncAfterForward { get; set; }

    /// <summary>Waits for <paramref name="device"/> when <see cref="SyncAfterForward"/> is on and it is a CUDA device.</summary>
    public void SyncIfProfiling(TorchSharp.torch.Device device)
    {
        if (SyncAfterForward && device.type == TorchSharp.DeviceType.CUDA)
            TorchSharp.torch.cuda.synchronize(device);
    }

    /// <summary>Adds one call: it started at <paramref name="start"/>, had its logits at <paramref name="logits"/> and
    /// ended now (Stopwatch timestamps); <paramref name="inputs"/> of its forward time went to laying out inputs.</summary>
    public void Add(long start, long logits, TimeSpan inputs)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _forward, logits - start);
        Interlocked.Add(ref _inputs, (long)(inputs.TotalSeconds * Stopwatch.Frequency));
        Interlocked.Add(ref _sample, now - logits);
    }

    /// <summary>The totals so far.</summary>
    public ProposeProfileSnapshot Snapshot() => new(
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _forward)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _inputs)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sample)));
}
