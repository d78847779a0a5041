using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training;

/// <summary>
/// Makes CUDA training bit-reproducible for the scope's lifetime: libtorch's deterministic algorithms
/// (<see cref="LibTorchDeterminism"/>, Python's <c>torch.use_deterministic_algorithms</c>; without them the backward of <c>index_select</c>, <c>gather</c> and the
/// embedding sums with float atomics in no fixed order, so two runs of one command drift apart from their first steps),
/// and cuBLAS's fixed workspace (<see cref="CublasWorkspaceVariable"/>, which libtorch requires in that mode; set here
/// in the native environment unless the user set it). The process's previous mode comes back when disposed.
/// </summary>
internal sealed class DeterministicAlgorithms : IDisposable
{
    /// <summary>cuBLAS's workspace configuration variable.</summary>
    public const string CublasWorkspaceVariable = "CUBLAS_WORKSPACE_CONFIG";

    /// <summary>The value set when the user set none: 8 buffers of 4 MiB, one of the two deterministic settings.</summary>
    public const string CublasWorkspaceValue = ":4096:8";

    private readonly bool _previous;

    private DeterministicAlgorithms()
    {
        _previous = LibTorchDeterminism.Enabled;
        LibTorchDeterminism.Set(true);
    }

    /// <summary>What cuBLAS's workspace setting is for this run (for the log), e.g. <c>:4096:8 (set by Dllm)</c>.</summary>
    public string CublasWorkspace { get; private init; } = "";

    /// <summary>The scope when <paramref name="enable"/> and <paramref name="device"/> is CUDA, else null (nothing
    /// changes: CPU training is deterministic as it is).</summary>
    /// <exception cref="InvalidOperationException">The cuBLAS variable is not set and cannot be set.</exception>
    public static DeterministicAlgorithms? On(bool enable, Device device)
    {
        if (!enable || device.type != DeviceType.CUDA)
            return null;
        string workspace;
        if (NativeEnvironment.Get(CublasWorkspaceVariable) is string existing)
            workspace = $"{existing} (from {CublasWorkspaceVariable})";
        else if (NativeEnvironment.TrySet(CublasWorkspaceVariable, CublasWorkspaceValue, overwrite: false) is string failure)
            throw new InvalidOperationException(
                $"--deterministic true needs {CublasWorkspaceVariable}={CublasWorkspaceValue} in the environment and it could not be set ({failure}); set it before starting, or pass --deterministic false.");
        else
            workspace = $"{CublasWorkspaceValue} (set by Dllm)";
        return new DeterministicAlgorithms { CublasWorkspace = workspace };
    }

    public void Dispose() => LibTorchDeterminism.Set(_previous);
}
