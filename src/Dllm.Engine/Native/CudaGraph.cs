namespace Dllm.Native;

/// <summary>One captured CUDA graph (<see cref="CudaNative"/>): the kernels a piece of C# issued, replayed with one launch.</summary>
internal sealed class CudaGraph : IDisposable
{
    private nint _handle;

    private CudaGraph(nint handle) => _handle = handle;

    /// <summary>Captures the CUDA work <paramref name="issue"/> does on this thread. It runs once eagerly first (on the
    /// capture stream, so lazy initialisation happens outside the capture), then once captured; the captured run
    /// executes nothing until <see cref="Replay"/>.</summary>
    public static CudaGraph Capture(Action issue)
    {
        CudaNative.EnterSideStream();
        try
        {
            issue();
            var handle = CudaNative.BeginGraph();
            try
            {
                issue();
                CudaNative.EndGraph(handle);
            }
            catch
            {
                CudaNative.AbortGraph(handle);
                throw;
            }
            return new CudaGraph(handle);
        }
        finally
        {
            CudaNative.LeaveSideStream();
        }
    }

    /// <summary>Runs the captured work again on the current stream.</summary>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        CudaNative.ReplayGraph(_handle);
    }

    public void Dispose()
    {
        if (_handle != 0)
            CudaNative.DestroyGraph(_handle);
        _handle = 0;
    }
}
