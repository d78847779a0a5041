using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training.Tests;

/// <summary><c>dllm train --tf32</c>: TF32 matmuls are switched on only for a CUDA device, and the process's setting is
/// restored when training ends.</summary>
public sealed class Tf32MatmulsTests
{
    [Fact]
    public void Only_a_CUDA_device_switches_TF32_on_and_the_previous_setting_comes_back()
    {
        TorchBackend.Initialize();
        Assert.Null(Tf32Matmuls.On(enable: true, CPU));
        Assert.Null(Tf32Matmuls.On(enable: false, new Device(DeviceType.CUDA)));
        bool before = backends.cuda.matmul.allow_tf32;
        using (Tf32Matmuls.On(enable: true, new Device(DeviceType.CUDA)))
            Assert.True(backends.cuda.matmul.allow_tf32);
        Assert.Equal(before, backends.cuda.matmul.allow_tf32);
    }
}
