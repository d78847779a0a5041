using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>
/// Writes one safetensors file in the reference format. The tensors are declared up front (name, shape, dtype),
/// which fixes the header; then each tensor is written, in any order, straight from its memory into its place in
/// the file, so only the tensor being written needs to exist. <see cref="Complete"/> checks that every declared
/// tensor was written; disposing an incomplete writer deletes the file.
/// </summary>
public sealed class SafetensorsWriter : IDisposable
{
    /// <summary>The <c>__metadata__</c> Hugging Face writes into PyTorch checkpoints.</summary>
    public static IReadOnlyDictionary<string, string> DefaultMetadata { get; } = new Dictionary<string, string> { ["format"] = "pt" };

    private readonly SafetensorsLayout _layout;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private SafeFileHandle? _handle;
    private bool _completed;

    /// <summary>Creates (or replaces) the file and writes its header.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="entries">Every tensor the file will hold.</param>
    /// <param name="metadata">The header's <c>__metadata__</c>; null for <see cref="DefaultMetadata"/>, empty for none.</param>
    /// <exception cref="ArgumentException">A name appears twice or a dtype cannot be stored.</exception>
    /// <exception cref="CheckpointException">The file cannot be created.</exception>
    public SafetensorsWriter(string path, IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Path = path;
        _layout = new SafetensorsLayout(entries, metadata ?? DefaultMetadata);
        try
        {
            _handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, _layout.FileLength);
            RandomAccess.Write(_handle, _layout.Header, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _handle?.Dispose();
            throw new CheckpointException($"{path}: cannot write: {e.Message}", path, innerException: e);
        }
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>The size the file will have.</summary>
    public long FileLength => _layout.FileLength;

    /// <summary>The declared tensors not written yet.</summary>
    public IReadOnlyCollection<string> Pending => _layout.Entries.Keys.Where(n => !_written.Contains(n)).ToList();

    /// <summary>Writes every tensor of <paramref name="tensors"/> in <paramref name="dtype"/> to a new file.</summary>
    /// <exception cref="CheckpointException">The file cannot be written.</exception>
    public static void WriteFile(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, torch.ScalarType dtype, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        using var writer = new SafetensorsWriter(path, list.Select(t => new SafetensorsEntry(t.Key, t.Value.shape, dtype)), metadata);
        foreach (var (name, tensor) in list)
            writer.Write(name, tensor);
        writer.Complete();
    }

    /// <summary>Writes a declared tensor, converted to its declared dtype, from any device.</summary>
    /// <exception cref="ArgumentException">The name was not declared, was written already, or the shape differs.</exception>
    /// <exception cref="CheckpointException">The write fails.</exception>
    public void Write(string name, torch.Tensor tensor)
    {
        SafeFileHandle handle = _handle ?? throw new ObjectDisposedException(nameof(SafetensorsWriter), $"{Path} is closed.");
        if (!_layout.Entries.TryGetValue(name, out SafetensorsEntry? entry))
            throw new ArgumentException($"{Path}: tensor '{name}' was not declared for this file.", nameof(name));
        if (!TensorShapes.Equal(tensor.shape, entry.Shape))
            throw new ArgumentException($"{Path}: tensor '{name}' has shape {TensorShapes.Format(tensor.shape)}, declared {TensorShapes.Format(entry.Shape)}.", nameof(tensor));
        if (_written.Contains(name))
            throw new ArgumentException($"{Path}: tensor '{name}' was written already.", nameof(name));
        long start = _layout.FileOffset(name);
        using torch.Tensor converted = tensor.to(entry.DType, torch.CPU);
        using torch.Tensor contiguous = converted.contiguous();
        try
        {
            TensorMemory.ForEachChunk(contiguous, (chunk, offset) => RandomAccess.Write(handle, chunk, start + offset));
        }
        catch (IOException e)
        {
            throw new CheckpointException($"{Path}: writing tensor '{name}' failed: {e.Message}", Path, name, e);
        }
        _written.Add(name);
    }

    /// <summary>Checks that every declared tensor was written and closes the file.</summary>
    /// <exception cref="CheckpointException">Some tensors were not written (the file is deleted).</exception>
    public void Complete()
    {
        SafeFileHandle handle = _handle ?? throw new ObjectDisposedException(nameof(SafetensorsWriter), $"{Path} is closed.");
        var pending = Pending;
        if (pending.Count > 0)
        {
            Dispose();
            throw new CheckpointException($"{Path}: {pending.Count} declared tensors were not written: {NameList.Format(pending)}; the file was deleted.", Path, pending.First());
        }
        _completed = true;
        handle.Dispose();
        _handle = null;
    }

    /// <summary>Closes the file; deletes it unless <see cref="Complete"/> succeeded.</summary>
    public void Dispose()
    {
        if (_handle is null)
            return;
        _handle.Dispose();
        _handle = null;
        if (!_completed)
            File.Delete(Path);
    }
}
