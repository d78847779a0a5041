using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>
/// One safetensors file: its validated header, and reads of single tensors straight from the file into a
/// tensor's memory (no intermediate buffer), converted to the requested dtype and moved to the requested device.
/// Reading holds only the tensor being read in host memory. Safe to read from several threads at once.
/// </summary>
public sealed class SafetensorsFile
{
    private readonly SafetensorsHeader _header;

    private SafetensorsFile(string path, SafetensorsHeader header)
    {
        Path = path;
        _header = header;
        DataBytes = header.Tensors.Values.Sum(t => t.ByteLength);
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The tensors in the file, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors => _header.Tensors;

    /// <summary>The header's <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>The total size of the tensors' data.</summary>
    public long DataBytes { get; }

    /// <summary>Reads and validates the header of a safetensors file.</summary>
    /// <exception cref="CheckpointException">The file is missing, truncated, or its header is corrupt.</exception>
    public static SafetensorsFile Open(string path) => new(path, SafetensorsHeader.Read(path));

    /// <summary>Reads one tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="expectedShape">The shape the caller needs, or null to accept the stored one.</param>
    /// <param name="dtype">The dtype of the result (converted on load when the stored one differs).</param>
    /// <param name="device">The device of the result.</param>
    /// <returns>A new tensor the caller owns and disposes.</returns>
    /// <exception cref="CheckpointException">The tensor is missing, has another shape or an unsupported dtype, or the read fails.</exception>
    public torch.Tensor ReadTensor(string name, long[]? expectedShape, torch.ScalarType dtype, torch.Device device)
    {
        if (!Tensors.TryGetValue(name, out SafetensorsTensorInfo? info))
            throw new CheckpointException($"{Path}: tensor '{name}' is not in this file ({Tensors.Count} tensors).", Path, name);
        return Read(info, expectedShape, dtype, device, TensorMemory.DefaultChunkBytes);
    }

    /// <summary>Reads a tensor of this file in chunks of at most <paramref name="chunkBytes"/>.</summary>
    internal torch.Tensor Read(SafetensorsTensorInfo info, long[]? expectedShape, torch.ScalarType dtype, torch.Device device, long chunkBytes)
    {
        if (expectedShape is not null && !TensorShapes.Equal(info.Shape, expectedShape))
        {
            throw new CheckpointException(
                $"{Path}: tensor '{info.Name}' has shape {info.ShapeText}, expected {TensorShapes.Format(expectedShape)}.", Path, info.Name);
        }
        torch.ScalarType stored = StoredType(info);
        torch.Tensor host = torch.empty(info.Shape, stored, torch.CPU);
        try
        {
            using (SafeFileHandle handle = CheckpointFiles.OpenRead(Path))
            {
                TensorMemory.ForEachChunk(
                    host,
                    (chunk, offset) => CheckpointFiles.ReadExactly(handle, chunk, info.FileOffset + offset, Path, info.Name),
                    chunkBytes);
            }
            if (stored == dtype && device.type == DeviceType.CPU)
                return host;
            torch.Tensor result = host.to(dtype, device);
            host.Dispose();
            return result;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private torch.ScalarType StoredType(SafetensorsTensorInfo info)
    {
        if (!BitConverter.IsLittleEndian)
            throw new CheckpointException($"{Path}: safetensors data is little-endian; this machine is big-endian.", Path, info.Name);
        return SafetensorsDTypes.ToScalarType(info.DType) ?? throw new CheckpointException(
            $"{Path}: tensor '{info.Name}' has dtype {info.DType}, which is not supported; only {string.Join(", ", SafetensorsDTypes.Supported)} can be loaded.",
            Path, info.Name);
    }
}
