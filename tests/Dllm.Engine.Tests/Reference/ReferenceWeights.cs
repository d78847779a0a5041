using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dllm.Model;

namespace Dllm.Tests.Reference;

/// <summary>
/// The weights of an LLaDA2 checkpoint for <see cref="ReferenceLLaDA2"/>: HF tensor name (spec section 2,
/// e.g. <c>model.layers.1.mlp.experts.3.gate_proj.weight</c>) to (data, shape), data row-major in float64.
/// Independent of TorchSharp: <see cref="LoadSafetensors"/> is a minimal safetensors reader of its own,
/// <see cref="Random"/> makes a checkpoint for self-tests, <see cref="SaveSafetensors"/> writes one so that the
/// engine under test can load exactly the weights the reference uses.
/// </summary>
public sealed class ReferenceWeights
{
    /// <summary>Every tensor by HF name: row-major data and shape.</summary>
    public Dictionary<string, (double[] Data, int[] Shape)> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public (double[] Data, int[] Shape) this[string name]
    {
        get => Tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"reference weights: no tensor '{name}'.");
        set => Tensors[name] = value;
    }

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool Contains(string name) => Tensors.ContainsKey(name);

    /// <summary>Adds or replaces a tensor, checking that the data length matches the shape.</summary>
    public void Set(string name, double[] data, params int[] shape)
    {
        if (Numel(shape) != data.Length)
            throw new ArgumentException($"tensor '{name}': {data.Length} values do not fill shape [{string.Join(", ", shape)}].");
        Tensors[name] = (data, shape);
    }

    /// <summary>The data of tensor <paramref name="name"/>, checking that its shape is exactly <paramref name="shape"/>.</summary>
    /// <exception cref="InvalidDataException">Wrong shape.</exception>
    public double[] Get(string name, params int[] shape)
    {
        var (data, actual) = this[name];
        if (!actual.SequenceEqual(shape))
            throw new InvalidDataException($"tensor '{name}' has shape [{string.Join(", ", actual)}], expected [{string.Join(", ", shape)}].");
        return data;
    }

    /// <summary>A deep copy (arrays are cloned).</summary>
    public ReferenceWeights Clone()
    {
        var copy = new ReferenceWeights();
        foreach (var (name, (data, shape)) in Tensors)
            copy.Tensors[name] = ((double[])data.Clone(), (int[])shape.Clone());
        return copy;
    }

    /// <summary>
    /// A copy with every value rounded to what <paramref name="dtype"/> (<c>F32</c>, <c>BF16</c>, <c>F16</c>,
    /// <c>F64</c>) can hold, i.e. exactly what a checkpoint saved in that dtype would load back as.
    /// </summary>
    public ReferenceWeights RoundedTo(string dtype)
    {
        var copy = Clone();
        foreach (var (_, (data, _)) in copy.Tensors)
            for (int i = 0; i < data.Length; i++)
                data[i] = RoundTo(data[i], dtype);
        return copy;
    }

    /// <summary>The number of elements of a shape (1 for a scalar).</summary>
    public static long Numel(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
            n *= d;
        return n;
    }

    // ------------------------------------------------------------------------------------------------
    // Random weights
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Every tensor a checkpoint of <paramref name="config"/> holds, drawn from <see cref="System.Random"/>
    /// with <paramref name="seed"/>: embeddings N(0, 1); every linear weight [out, in] N(0, 1/in) (std
    /// 1/√in, about 0.1 for the tiny shapes, so activations stay O(1)); norm weights 1 + N(0, 0.1²); router
    /// weights N(0, 1/in) so that sigmoid scores spread over (0, 1); <c>expert_bias</c> N(0, 0.05²). Each
    /// value is rounded to float32 so that an fp32 engine holds exactly the same numbers. lm_head is omitted
    /// when <see cref="LLaDA2Config.TieWordEmbeddings"/>.
    /// </summary>
    public static ReferenceWeights Random(LLaDA2Config config, int seed)
    {
        var rng = new System.Random(seed);
        var w = new ReferenceWeights();
        int h = config.HiddenSize, hd = config.HeadDim, nq = config.NumAttentionHeads, nkv = config.NumKeyValueHeads;

        void Normal(string name, double mean, double std, params int[] shape)
        {
            var data = new double[Numel(shape)];
            for (int i = 0; i < data.Length; i++)
                data[i] = (float)(mean + std * NextGaussian(rng));
            w.Set(name, data, shape);
        }
        void Linear(string name, int outFeatures, int inFeatures) =>
            Normal(name, 0, 1 / Math.Sqrt(inFeatures), outFeatures, inFeatures);
        void Norm(string name, int size) => Normal(name, 1, 0.1, size);
        void Mlp(string prefix, int intermediate)
        {
            Linear($"{prefix}.gate_proj.weight", intermediate, h);
            Linear($"{prefix}.up_proj.weight", intermediate, h);
            Linear($"{prefix}.down_proj.weight", h, intermediate);
        }

        Normal("model.word_embeddings.weight", 0, 1, config.VocabSize, h);
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}";
            Norm($"{p}.input_layernorm.weight", h);
            Norm($"{p}.post_attention_layernorm.weight", h);
            Linear($"{p}.attention.query_key_value.weight", (nq + 2 * nkv) * hd, h);
            Norm($"{p}.attention.query_layernorm.weight", hd);
            Norm($"{p}.attention.key_layernorm.weight", hd);
            Linear($"{p}.attention.dense.weight", h, nq * hd);
            if (!config.IsMoeLayer(l))
            {
                Mlp($"{p}.mlp", config.IntermediateSize);
                continue;
            }
            Linear($"{p}.mlp.gate.weight", config.NumExperts, h);
            Normal($"{p}.mlp.gate.expert_bias", 0, 0.05, config.NumExperts);
            for (int e = 0; e < config.NumExperts; e++)
                Mlp($"{p}.mlp.experts.{e}", config.MoeIntermediateSize);
            if (config.NumSharedExperts > 0)
                Mlp($"{p}.mlp.shared_experts", config.MoeIntermediateSize * config.NumSharedExperts);
        }
        Norm("model.norm.weight", h);
        if (!config.TieWordEmbeddings)
            Linear("lm_head.weight", config.VocabSize, h);
        return w;
    }

    private static double NextGaussian(System.Random rng)
    {
        // Box–Muller; 1 - NextDouble() is in (0, 1] so the log is finite.
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    // ------------------------------------------------------------------------------------------------
    // safetensors
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Reads <c>model.safetensors</c> in <paramref name="modelDirectory"/>, or, when absent, every shard that
    /// <c>model.safetensors.index.json</c>'s <c>weight_map</c> names. F32, BF16 (upper 16 bits of a float32),
    /// F16 and F64 tensors become float64.
    /// </summary>
    public static ReferenceWeights LoadSafetensors(string modelDirectory)
    {
        var weights = new ReferenceWeights();
        string single = Path.Combine(modelDirectory, "model.safetensors");
        if (File.Exists(single))
        {
            ReadSafetensorsFile(single, weights, only: null);
            return weights;
        }
        string indexPath = Path.Combine(modelDirectory, "model.safetensors.index.json");
        if (!File.Exists(indexPath))
            throw new FileNotFoundException($"{modelDirectory}: neither model.safetensors nor model.safetensors.index.json.");
        var index = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"] as JsonObject
            ?? throw new InvalidDataException($"{indexPath}: no weight_map object.");
        foreach (var group in index.GroupBy(kv => kv.Value!.GetValue<string>(), kv => kv.Key))
        {
            var names = group.ToHashSet(StringComparer.Ordinal);
            ReadSafetensorsFile(Path.Combine(modelDirectory, group.Key), weights, names);
            foreach (string name in names)
                if (!weights.Contains(name))
                    throw new InvalidDataException($"{group.Key}: the index maps '{name}' to this shard but it is not there.");
        }
        return weights;
    }

    /// <summary>Reads the tensors of one safetensors file (all, or those in <paramref name="only"/>) into <paramref name="into"/>.</summary>
    public static void ReadSafetensorsFile(string path, ReferenceWeights into, ISet<string>? only = null)
    {
        using var stream = File.OpenRead(path);
        var lengthBytes = new byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(stream.Length - 8))
            throw new InvalidDataException($"{path}: header length {headerLength} exceeds the file.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        var header = JsonNode.Parse(Encoding.UTF8.GetString(headerBytes)) as JsonObject
            ?? throw new InvalidDataException($"{path}: header is not a JSON object.");
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__" || (only is not null && !only.Contains(name)))
                continue;
            var entry = node as JsonObject ?? throw new InvalidDataException($"{path}: entry '{name}' is not an object.");
            string dtype = entry["dtype"]!.GetValue<string>();
            int[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            long[] offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            int size = dtype switch
            {
                "F64" => 8,
                "F32" => 4,
                "BF16" or "F16" => 2,
                _ => throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtype}."),
            };
            long count = Numel(shape);
            if (offsets.Length != 2 || offsets[1] - offsets[0] != count * size)
                throw new InvalidDataException($"{path}: tensor '{name}' data_offsets [{string.Join(", ", offsets)}] do not hold {count} {dtype} values.");
            var raw = new byte[offsets[1] - offsets[0]];
            stream.Position = dataStart + offsets[0];
            stream.ReadExactly(raw);
            var data = new double[count];
            for (int i = 0; i < count; i++)
            {
                var bytes = raw.AsSpan(i * size, size);
                data[i] = dtype switch
                {
                    "F64" => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes),
                    "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16),
                    _ => (double)BinaryPrimitives.ReadHalfLittleEndian(bytes),
                };
            }
            into.Set(name, data, shape);
        }
    }

    /// <summary>
    /// Writes these tensors as <c>model.safetensors</c> in <paramref name="modelDirectory"/> (created if
    /// needed), or, with <paramref name="shardCount"/> &gt; 1, as <c>model-0000i-of-0000N.safetensors</c> plus
    /// <c>model.safetensors.index.json</c>. Values are rounded to <paramref name="dtype"/> (F32, BF16 with
    /// round-to-nearest-even, F16, F64); compare against <see cref="RoundedTo"/> of these weights, or load the
    /// files back. config.json is the caller's (<see cref="LLaDA2Config.ToJson"/>).
    /// </summary>
    public void SaveSafetensors(string modelDirectory, string dtype = "F32", int shardCount = 1)
    {
        Directory.CreateDirectory(modelDirectory);
        var names = Tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (shardCount <= 1)
        {
            WriteFile(Path.Combine(modelDirectory, "model.safetensors"), names, dtype);
            return;
        }
        var weightMap = new JsonObject();
        long totalSize = 0;
        for (int s = 0; s < shardCount; s++)
        {
            string file = $"model-{s + 1:D5}-of-{shardCount:D5}.safetensors";
            var shardNames = names.Where((_, i) => i % shardCount == s).ToList();
            totalSize += WriteFile(Path.Combine(modelDirectory, file), shardNames, dtype);
            foreach (string n in shardNames)
                weightMap[n] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = totalSize }, ["weight_map"] = weightMap };
        File.WriteAllText(Path.Combine(modelDirectory, "model.safetensors.index.json"), index.ToJsonString());
    }

    private long WriteFile(string path, List<string> names, string dtype)
    {
        int size = dtype switch
        {
            "F64" => 8,
            "F32" => 4,
            "BF16" or "F16" => 2,
            _ => throw new ArgumentException($"unsupported dtype {dtype}.", nameof(dtype)),
        };
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (string name in names)
        {
            var (data, shape) = Tensors[name];
            long end = offset + data.LongLength * size;
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, end),
            };
            offset = end;
        }
        byte[] headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8;   // the format pads the header with spaces to 8 bytes
        using var stream = File.Create(path);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(headerBytes);
        for (int i = headerBytes.Length; i < padded; i++)
            stream.WriteByte((byte)' ');
        var buffer = new byte[size];
        foreach (string name in names)
            foreach (double v in Tensors[name].Data)
            {
                switch (dtype)
                {
                    case "F64": BinaryPrimitives.WriteDoubleLittleEndian(buffer, v); break;
                    case "F32": BinaryPrimitives.WriteSingleLittleEndian(buffer, (float)v); break;
                    case "F16": BinaryPrimitives.WriteHalfLittleEndian(buffer, (Half)v); break;
                    default: BinaryPrimitives.WriteUInt16LittleEndian(buffer, ToBFloat16Bits((float)v)); break;
                }
                stream.Write(buffer);
            }
        return offset;
    }

    /// <summary>float32 to bfloat16 bits, round to nearest even (NaN stays NaN).</summary>
    public static ushort ToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>The value <paramref name="dtype"/> stores for <paramref name="value"/>.</summary>
    public static double RoundTo(double value, string dtype) => dtype switch
    {
        "F64" => value,
        "F32" => (float)value,
        "F16" => (double)(Half)value,
        "BF16" => BitConverter.Int32BitsToSingle(ToBFloat16Bits((float)value) << 16),
        _ => throw new ArgumentException($"unsupported dtype {dtype}.", nameof(dtype)),
    };
}
