using System.Buffers.Binary;
using System.Text.Json;

namespace Dllm.Checkpoints;

/// <summary>
/// Where each tensor of a file to be written goes, and the header bytes that say so. As the reference writer
/// does, tensors are ordered by element size (largest first), then by name, so every tensor's data is aligned
/// to its element size, and the header is padded with spaces so the data section starts on an 8-byte boundary.
/// </summary>
internal sealed class SafetensorsLayout
{
    private const int HeaderAlignment = 8;

    /// <summary>Lays out <paramref name="entries"/>.</summary>
    /// <exception cref="ArgumentException">A name appears twice, or a dtype cannot be stored.</exception>
    public SafetensorsLayout(IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        var ordered = entries
            .OrderByDescending(e => e.ElementSize)
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        long dataBytes = 0;
        foreach (SafetensorsEntry entry in ordered)
        {
            if (!offsets.TryAdd(entry.Name, dataBytes))
                throw new ArgumentException($"tensor '{entry.Name}' is listed twice.", nameof(entries));
            dataBytes += entry.ByteLength;
        }
        Header = EncodeHeader(ordered, offsets, metadata);
        Entries = ordered.ToDictionary(e => e.Name, e => e, StringComparer.Ordinal);
        DataOffsets = offsets;
        FileLength = Header.Length + dataBytes;
    }

    /// <summary>The entries by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    /// <summary>Where each tensor's data starts, counted from the start of the file.</summary>
    public long FileOffset(string name) => Header.Length + DataOffsets[name];

    /// <summary>The 8-byte length and the padded JSON header: the first bytes of the file.</summary>
    public byte[] Header { get; }

    /// <summary>The size of the whole file.</summary>
    public long FileLength { get; }

    private IReadOnlyDictionary<string, long> DataOffsets { get; }

    private static byte[] EncodeHeader(List<SafetensorsEntry> ordered, Dictionary<string, long> offsets, IReadOnlyDictionary<string, string> metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata.Count > 0)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            foreach (SafetensorsEntry entry in ordered)
            {
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", SafetensorsDTypes.FromScalarType(entry.DType));
                WriteArray(writer, "shape", entry.Shape);
                WriteArray(writer, "data_offsets", [offsets[entry.Name], offsets[entry.Name] + entry.ByteLength]);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        long jsonLength = json.Length;
        int padding = (int)((HeaderAlignment - (sizeof(ulong) + jsonLength) % HeaderAlignment) % HeaderAlignment);
        var header = new byte[sizeof(ulong) + jsonLength + padding];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)(jsonLength + padding));
        json.GetBuffer().AsSpan(0, (int)jsonLength).CopyTo(header.AsSpan(sizeof(ulong)));
        header.AsSpan(sizeof(ulong) + (int)jsonLength).Fill((byte)' ');
        return header;
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, long[] values)
    {
        writer.WriteStartArray(name);
        foreach (long value in values)
            writer.WriteNumberValue(value);
        writer.WriteEndArray();
    }
}
