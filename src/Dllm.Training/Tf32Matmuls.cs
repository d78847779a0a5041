using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training;

/// <summary>
/// Lets float32 matrix products on CUDA use TF32 tensor cores (<c>torch.backends.cuda.matmul.allow_tf32</c>) for the
/// scope's lifetime and restores the process's previous setting when disposed (the setting is global to libtorch).
/// </summary>
internal sealed class Tf32Matmuls : IDisposable
{
    private readonly bool _previous;

    private Tf32Matmuls()
    {
        _previous = backends.cuda.matmul.allow_tf32;
        backends.cuda.matmul.allow_tf32 = true;
    }

    /// <summary>The scope when <paramref name="enable"/> and <paramref name="device"/> is CUDA, else null (nothing changes).</summary>
    public static Tf32Matmuls? On(bool enable, Device device) => enable && device.type == DeviceType.CUDA ? new Tf32Matmuls() : null;

    public void Dispose() => backends.cuda.matmul.allow_tf32 = _previous;
}
