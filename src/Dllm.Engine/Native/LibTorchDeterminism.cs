using System.Runtime.InteropServices;

namespace Dllm.Native;

/// <summary>
/// libtorch's global deterministic-algorithms mode (<c>torch.use_deterministic_algorithms</c> in Python), which TorchSharp
/// declares but does not implement. Reached through the C++ exports of the one <c>libtorch_cpu.so</c> in the process
/// (<see cref="TorchBackendReport.LibTorchMapped"/>): <c>at::globalContext()</c> and <c>at::Context::setDeterministicAlgorithms(bool, bool)</c> /
/// <c>deterministicAlgorithms()</c> (Itanium C++ ABI: a member function takes the object as its first argument).
/// </summary>
internal static unsafe class LibTorchDeterminism
{
    private const string GlobalContext = "_ZN2at13globalContextEv";
    private const string SetDeterministic = "_ZN2at7Context26setDeterministicAlgorithmsEbb";
    private const string IsDeterministic = "_ZNK2at7Context23deterministicAlgorithmsEv";

    private static readonly Lazy<Exports> Functions = new(Resolve);

    /// <summary>Whether deterministic algorithms are on in this process.</summary>
    public static bool Enabled
    {
        get
        {
            var f = Functions.Value;
            return f.IsDeterministic(f.GlobalContext()) != 0;
        }
    }

    /// <summary>Switches deterministic algorithms on or off (an op with no deterministic version then throws).</summary>
    public static void Set(bool enabled)
    {
        var f = Functions.Value;
        f.SetDeterministic(f.GlobalContext(), enabled ? (byte)1 : (byte)0, 0);
    }

    private static Exports Resolve()
    {
        // The one libtorch_cpu.so that TorchBackend.Initialize loaded and checked.
        string library = TorchBackend.Report?.LibTorchMapped
            ?? throw new TorchBackendException("libtorch is not loaded yet: call TorchBackend.Initialize before switching deterministic algorithms.");
        nint handle = NativeLibrary.Load(library);
        nint Export(string name) => NativeLibrary.TryGetExport(handle, name, out nint address) ? address
            : throw new TorchBackendException($"{library} does not export {name} (at::Context's deterministic-algorithms switch); this libtorch cannot train deterministically.");
        return new Exports(Export(GlobalContext), Export(SetDeterministic), Export(IsDeterministic));
    }

    private sealed class Exports(nint globalContext, nint setDeterministic, nint isDeterministic)
    {
        public delegate* unmanaged<nint> GlobalContext { get; } = (delegate* unmanaged<nint>)globalContext;
        public delegate* unmanaged<nint, byte, byte, void> SetDeterministic { get; } = (delegate* unmanaged<nint, byte, byte, void>)setDeterministic;
        public delegate* unmanaged<nint, byte> IsDeterministic { get; } = (delegate* unmanaged<nint, byte>)isDeterministic;
    }
}
