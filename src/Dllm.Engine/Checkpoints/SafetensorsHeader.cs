using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Dllm.Checkpoints;

/// <summary>
/// The header of a safetensors file: an 8-byte little-endian length, then that many bytes of JSON mapping each
/// tensor name to its dtype, shape and data_offsets (relative to the end of the header), plus an optional
/// <c>__metadata__</c> string map. Reading validates everything that can be checked without reading the data.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The largest header the reference implementation accepts.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private SafetensorsHeader(IReadOnlyDictionary<string, SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensors by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Where the data section starts (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Reads and validates the header of <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointException">The file cannot be read or its header is corrupt.</exception>
    public static SafetensorsHeader Read(string path)
    {
        using SafeFileHandle handle = CheckpointFiles.OpenRead(path);
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < sizeof(ulong))
            throw new CheckpointException($"{path}: not a safetensors file: only {fileLength} bytes, shorter than the 8-byte header length.", path);
        Span<byte> lengthBytes = stackalloc byte[sizeof(ulong)];
        CheckpointFiles.ReadExactly(handle, lengthBytes, 0, path, tensorName: null);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || headerLength > (ulong)(fileLength - sizeof(ulong)))
        {
            throw new CheckpointException(
                $"{path}: corrupt safetensors header: the header length {headerLength} is invalid for a file of {fileLength} bytes " +
                $"(must be 2..{Math.Min(MaxHeaderBytes, fileLength - sizeof(ulong))}); the file is truncated or not a safetensors file.", path);
        }
        byte[] json = new byte[headerLength];
        CheckpointFiles.ReadExactly(handle, json, sizeof(ulong), path, tensorName: null);
        return Parse(json, path, sizeof(ulong) + (long)headerLength, fileLength);
    }

    /// <summary>Parses and validates header JSON whose data section starts at <paramref name="dataStart"/>.</summary>
    internal static SafetensorsHeader Parse(ReadOnlyMemory<byte> json, string path, long dataStart, long fileLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: corrupt safetensors header: not valid JSON: {e.Message}", path, innerException: e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{path}: corrupt safetensors header: the JSON header must be an object, got {document.RootElement.ValueKind}.", path);
            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                    metadata = ParseMetadata(property.Value, path);
                else if (!tensors.TryAdd(property.Name, ParseEntry(property, path, dataStart)))
                    throw new CheckpointException($"{path}: corrupt safetensors header: tensor '{property.Name}' appears twice.", path, property.Name);
            }
            CheckDataRanges(tensors.Values, path, dataStart, fileLength);
            return new SafetensorsHeader(tensors, metadata, dataStart);
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return [];
        if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
            throw new CheckpointException($"{path}: corrupt safetensors header: '{MetadataKey}' must be an object of strings.", path);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in value.EnumerateObject())
            metadata[property.Name] = property.Value.GetString()!;
        return metadata;
    }

    private static SafetensorsTensorInfo ParseEntry(JsonProperty property, string path, long dataStart)
    {
        string name = property.Name;
        CheckpointException Corrupt(string problem) =>
            new($"{path}: corrupt safetensors header: tensor '{name}': {problem}.", path, name);

        JsonElement entry = property.Value;
        if (entry.ValueKind != JsonValueKind.Object)
            throw Corrupt("the entry must be an object with dtype, shape and data_offsets");
        string dtype = entry.TryGetProperty("dtype", out JsonElement dtypeElement) && dtypeElement.ValueKind == JsonValueKind.String
            ? dtypeElement.GetString()!
            : throw Corrupt("'dtype' is missing or not a string");
        int elementSize = SafetensorsDTypes.ElementSize(dtype) ?? throw Corrupt($"unknown dtype '{dtype}'");
        long[] shape = ReadLongs(entry, "shape", length: null) ?? throw Corrupt("'shape' is missing or not a list of non-negative integers");
        long[] offsets = ReadLongs(entry, "data_offsets", length: 2) ?? throw Corrupt("'data_offsets' is missing or not a pair of non-negative integers");
        if (offsets[1] < offsets[0])
            throw Corrupt($"data_offsets [{offsets[0]}, {offsets[1]}] are out of order (end before begin)");
        long expectedBytes;
        try
        {
            expectedBytes = checked(TensorShapes.ElementCount(shape) * elementSize);
        }
        catch (OverflowException)
        {
            throw Corrupt($"shape {TensorShapes.Format(shape)} is too large");
        }
        long byteLength = offsets[1] - offsets[0];
        if (byteLength != expectedBytes)
            throw Corrupt($"data_offsets [{offsets[0]}, {offsets[1]}] hold {byteLength} bytes but {dtype} {TensorShapes.Format(shape)} needs {expectedBytes}");
        return new SafetensorsTensorInfo(name, dtype, shape, dataStart + offsets[0], byteLength);
    }

    private static long[]? ReadLongs(JsonElement entry, string field, int? length)
    {
        if (!entry.TryGetProperty(field, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            return null;
        if (length is int n && array.GetArrayLength() != n)
            return null;
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
                return null;
            values[i++] = value;
        }
        return values;
    }

    private static void CheckDataRanges(IEnumerable<SafetensorsTensorInfo> tensors, string path, long dataStart, long fileLength)
    {
        SafetensorsTensorInfo? previous = null;
        foreach (SafetensorsTensorInfo tensor in tensors.OrderBy(t => t.FileOffset).ThenBy(t => t.ByteLength))
        {
            if (previous is not null && tensor.FileOffset < previous.FileOffset + previous.ByteLength)
            {
                throw new CheckpointException(
                    $"{path}: corrupt safetensors header: the data of tensors '{previous.Name}' [{previous.FileOffset - dataStart}, {previous.FileOffset - dataStart + previous.ByteLength}) " +
                    $"and '{tensor.Name}' [{tensor.FileOffset - dataStart}, {tensor.FileOffset - dataStart + tensor.ByteLength}) overlap.", path, tensor.Name);
            }
            long end = tensor.FileOffset + tensor.ByteLength;
            if (end > fileLength)
            {
                throw new CheckpointException(
                    $"{path}: the file is truncated: tensor '{tensor.Name}' needs bytes up to {end} but the file has {fileLength}.", path, tensor.Name);
            }
            previous = tensor;
        }
    }
}
