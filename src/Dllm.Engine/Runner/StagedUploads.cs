using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>
/// Copies host arrays into a device's tensors without waiting for the device. Each target tensor has a host twin of its
/// shape, page-locked on a CUDA device; an upload writes the values into the twin and enqueues an asynchronous copy to
/// the target on the current stream. A copy from pageable memory (a managed array) would wait for the device's stream
/// instead, once per copy. Before the twins are written again, <see cref="Begin"/> waits for the event <see cref="End"/>
/// recorded after the last uploads' copies: in serving it has passed long before, since a forward's logits are read
/// between two reloads of its inputs. Elsewhere (a CPU device, no native piece, or <see cref="Enabled"/> off) the twins
/// are plain host tensors and each copy completes before it returns.
/// </summary>
internal sealed class StagedUploads(Device device) : IDisposable
{
    private readonly Dictionary<Tensor, Tensor> _twins = new(ReferenceEqualityComparer.Instance);
    private readonly bool _pinned = device.type == DeviceType.CUDA && Enabled && CudaNative.IsAvailable;
    private nint _copied; // a CUDA event, recorded after the last uploads' copies (0: none yet)
    private bool _open;

    /// <summary>Whether uploads to CUDA tensors go through page-locked twins and asynchronous copies (default true; the
    /// bench's <c>--pinned-reload false</c> copies from the managed arrays, each copy waiting for the device: the before).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>Starts a reload's uploads: waits until the copies of the last ones have run, so their twins may be
    /// written.</summary>
    public void Begin()
    {
        if (_copied != 0)
            CudaNative.WaitForEvent(_copied);
        _open = true;
    }

    /// <summary>Writes <paramref name="values"/> to the elements <paramref name="offset"/> .. <paramref name="offset"/> +
    /// length - 1 of <paramref name="target"/> (contiguous, seen flat; its dtype's element size must be that of
    /// <typeparamref name="T"/>). Between <see cref="Begin"/> and <see cref="End"/>.</summary>
    public void Upload<T>(Tensor target, T[] values, long offset = 0) where T : unmanaged
    {
        if (!_open)
            throw new InvalidOperationException("an upload outside Begin .. End could overwrite a twin whose copy has not run");
        if (target.ElementSize != Unsafe.SizeOf<T>())
            throw new ArgumentException($"{typeof(T).Name} values do not fit a {target.dtype} tensor", nameof(values));
        if (offset < 0 || offset + values.Length > target.NumberOfElements)
            throw new ArgumentOutOfRangeException(nameof(offset), $"elements {offset} .. {offset + values.Length - 1} are not in a tensor of {target.NumberOfElements}");
        if (values.Length == 0)
            return;
        using var twin = Twin(target).view(-1).narrow(0, offset, values.Length);
        using var into = target.view(-1).narrow(0, offset, values.Length);
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(twin.bytes);
        into.copy_(twin, _pinned);
    }

    /// <summary>Ends a reload's uploads: records the event the next <see cref="Begin"/> waits for (asynchronous copies only).</summary>
    public void End()
    {
        _open = false;
        if (_pinned)
            CudaNative.RecordEvent(ref _copied);
    }

    private Tensor Twin(Tensor target)
    {
        if (_twins.TryGetValue(target, out var twin))
            return twin;
        using var host = empty(target.shape, target.dtype, CPU);
        twin = (_pinned ? host.pin_memory() : host.alias()).DetachFromDisposeScope();
        _twins.Add(target, twin);
        return twin;
    }

    public void Dispose()
    {
        if (_copied != 0)
        {
            CudaNative.WaitForEvent(_copied);
            CudaNative.DestroyEvent(_copied);
            _copied = 0;
        }
        foreach (var twin in _twins.Values)
            twin.Dispose();
        _twins.Clear();
    }
}
