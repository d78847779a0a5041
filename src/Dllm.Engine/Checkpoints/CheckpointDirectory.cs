using Dllm.Model;
using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>
/// A Hugging Face model directory: <c>config.json</c> plus either <c>model.safetensors</c> or the shards named by
/// <c>model.safetensors.index.json</c> (the single file wins when both exist, as in transformers). Opening reads
/// and cross-checks every header, not the data; <see cref="ReadTensor"/> then reads one tensor at a time, so host
/// memory never holds more than the tensor being read. Reads may run on several threads at once.
/// </summary>
public sealed class CheckpointDirectory
{
    private readonly IReadOnlyDictionary<string, (SafetensorsFile File, SafetensorsTensorInfo Info)> _tensors;
    private readonly ProgressCounter _progress;

    private CheckpointDirectory(string directory, LLaDA2Config config, IReadOnlyList<SafetensorsFile> files,
        IReadOnlyDictionary<string, (SafetensorsFile File, SafetensorsTensorInfo Info)> tensors)
    {
        Directory = directory;
        Config = config;
        Files = files;
        _tensors = tensors;
        TensorNames = tensors.Keys.ToList();
        TotalBytes = tensors.Values.Sum(t => t.Info.ByteLength);
        _progress = new ProgressCounter(tensors.Count, TotalBytes);
    }

    /// <summary>The model config read from <c>config.json</c>.</summary>
    public LLaDA2Config Config { get; }

    /// <summary>The directory's full path.</summary>
    public string Directory { get; }

    /// <summary>The weight files (one, or the shards).</summary>
    public IReadOnlyList<SafetensorsFile> Files { get; }

    /// <summary>Every tensor in the checkpoint.</summary>
    public IReadOnlyCollection<string> TensorNames { get; }

    /// <summary>Bytes of tensor data in the checkpoint (what a full load reads).</summary>
    public long TotalBytes { get; }

    /// <summary>Bytes read by <see cref="ReadTensor"/> so far.</summary>
    public long BytesRead => _progress.BytesDone;

    /// <summary>Receives a report after each <see cref="ReadTensor"/> (elapsed time counts from <see cref="Open"/>).</summary>
    public IProgress<CheckpointLoadProgress>? Progress { get; set; }

    /// <summary>Opens a model directory, reading its config and every weight file header.</summary>
    /// <exception cref="CheckpointException">
    /// The directory, config or a weight file is missing; a header or the index is corrupt; the index and the
    /// shards disagree; or config.json is invalid (the <see cref="ModelConfigException"/> is the inner exception).
    /// </exception>
    public static CheckpointDirectory Open(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
            throw new CheckpointException($"{full}: the checkpoint directory does not exist.", full);
        LLaDA2Config config = LoadConfig(full);
        var (files, tensors) = CheckpointWeightFiles.Open(full);
        return new CheckpointDirectory(full, config, files, tensors);
    }

    /// <summary>True when the checkpoint holds <paramref name="name"/>.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>What the header says about a tensor.</summary>
    /// <exception cref="CheckpointException">The tensor is not in the checkpoint.</exception>
    public SafetensorsTensorInfo GetTensorInfo(string name) => Find(name).Info;

    /// <summary>The weight file that holds a tensor.</summary>
    /// <exception cref="CheckpointException">The tensor is not in the checkpoint.</exception>
    public string FileOf(string name) => Find(name).File.Path;

    /// <summary>Reads one tensor, checks its shape, converts it to <paramref name="dtype"/> and moves it to <paramref name="device"/>.</summary>
    /// <returns>
    /// A new tensor the caller owns and disposes (registered in the caller's dispose scope, if one is active).
    /// Host memory holds only this tensor while it is read, plus its converted copy when the dtype changes on the CPU.
    /// </returns>
    /// <exception cref="CheckpointException">The tensor is missing, has another shape or an unsupported dtype, or the read fails; the message names the tensor and the file.</exception>
    public torch.Tensor ReadTensor(string name, long[] expectedShape, torch.ScalarType dtype, torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(expectedShape);
        var (file, info) = Find(name);
        torch.Tensor tensor = file.Read(info, expectedShape, dtype, device, TensorMemory.DefaultChunkBytes);
        _progress.Add(name, info.ByteLength, Progress);
        return tensor;
    }

    /// <summary>Throws when the checkpoint holds tensors not in <paramref name="expectedNames"/>, listing them.</summary>
    /// <exception cref="CheckpointException">There are unexpected tensors.</exception>
    public void CheckNoUnexpectedTensors(IEnumerable<string> expectedNames)
    {
        var expected = expectedNames.ToHashSet(StringComparer.Ordinal);
        var unexpected = UnexpectedTensors(expected);
        if (unexpected.Count > 0)
        {
            throw new CheckpointException(
                $"{Directory}: the checkpoint has {unexpected.Count} tensors the model does not use: {NameList.Format(unexpected)} " +
                "(a different model or config?).", Directory, unexpected[0]);
        }
    }

    /// <summary>
    /// Checks the whole checkpoint against the tensors a model needs before any data is read: throws one error
    /// listing the missing tensors, the shape mismatches, the unsupported dtypes and the unexpected tensors.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint does not match.</exception>
    public void CheckTensors(IEnumerable<CheckpointTensorSpec> expected)
    {
        var specs = expected.ToList();
        var present = specs.Where(s => _tensors.ContainsKey(s.Name)).Select(s => (Spec: s, Stored: _tensors[s.Name])).ToList();
        var problems = new List<string>();
        AddProblem(problems, "missing", specs.Where(s => !_tensors.ContainsKey(s.Name)).Select(s => $"'{s.Name}'"));
        AddProblem(problems, "with a wrong shape", present
            .Where(p => !TensorShapes.Equal(p.Stored.Info.Shape, p.Spec.Shape))
            .Select(p => $"'{p.Spec.Name}' is {p.Stored.Info.ShapeText}, expected {TensorShapes.Format(p.Spec.Shape)} ({Path.GetFileName(p.Stored.File.Path)})"));
        AddProblem(problems, $"with an unsupported dtype (only {string.Join(", ", SafetensorsDTypes.Supported)})", present
            .Where(p => SafetensorsDTypes.ToScalarType(p.Stored.Info.DType) is null)
            .Select(p => $"'{p.Spec.Name}' is {p.Stored.Info.DType}"));
        AddProblem(problems, "unexpected", UnexpectedTensors(specs.Select(s => s.Name).ToHashSet(StringComparer.Ordinal)).Select(n => $"'{n}'"));
        if (problems.Count > 0)
            throw new CheckpointException($"{Directory}: the checkpoint does not match the model: {string.Join(". ", problems)}.", Directory);
    }

    private static void AddProblem(List<string> problems, string kind, IEnumerable<string> items)
    {
        var list = items.ToList();
        if (list.Count > 0)
            problems.Add($"{list.Count} {kind}: {NameList.Join(list)}");
    }

    private List<string> UnexpectedTensors(HashSet<string> expected) =>
        _tensors.Keys.Where(n => !expected.Contains(n)).Order(StringComparer.Ordinal).ToList();

    private (SafetensorsFile File, SafetensorsTensorInfo Info) Find(string name) =>
        _tensors.TryGetValue(name, out var entry)
            ? entry
            : throw new CheckpointException(
                $"{Directory}: tensor '{name}' is not in the checkpoint ({_tensors.Count} tensors in {NameList.Format(Files.Select(f => Path.GetFileName(f.Path)), 3)}).",
                Directory, name);

    private static LLaDA2Config LoadConfig(string directory)
    {
        string path = Path.Combine(directory, CheckpointFiles.ConfigFile);
        if (!File.Exists(path))
            throw new CheckpointException($"{directory}: no {CheckpointFiles.ConfigFile} in the checkpoint directory.", path);
        try
        {
            return LLaDA2Config.Load(path);
        }
        catch (ModelConfigException e)
        {
            throw new CheckpointException(e.Message, path, innerException: e);
        }
    }
}
