using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training.Tests;

/// <summary><c>dllm train --deterministic</c>: libtorch's deterministic mode and cuBLAS's workspace variable are set only
/// for a CUDA device, the variable where native code reads it, and the previous mode comes back when training ends.</summary>
public sealed class DeterministicAlgorithmsTests
{
    [Fact]
    public void Only_a_CUDA_device_switches_deterministic_mode_on_with_the_cublas_workspace_set_natively()
    {
        TorchBackend.Initialize();
        Assert.Null(DeterministicAlgorithms.On(enable: true, CPU));
        Assert.Null(DeterministicAlgorithms.On(enable: false, new Device(DeviceType.CUDA)));
        bool before = LibTorchDeterminism.Enabled;
        string? userValue = NativeEnvironment.Get(DeterministicAlgorithms.CublasWorkspaceVariable);
        using (var scope = DeterministicAlgorithms.On(enable: true, new Device(DeviceType.CUDA)))
        {
            Assert.NotNull(scope);
            Assert.True(LibTorchDeterminism.Enabled);
            string native = NativeEnvironment.Get(DeterministicAlgorithms.CublasWorkspaceVariable)!;
            Assert.Equal(userValue ?? DeterministicAlgorithms.CublasWorkspaceValue, native);
            Assert.Equal(native, Environment.GetEnvironmentVariable(DeterministicAlgorithms.CublasWorkspaceVariable));
            Assert.StartsWith(native, scope.CublasWorkspace);
            Assert.EndsWith(userValue is null ? "(set by Dllm)" : $"(from {DeterministicAlgorithms.CublasWorkspaceVariable})", scope.CublasWorkspace);
        }
        Assert.Equal(before, LibTorchDeterminism.Enabled);
    }
}
