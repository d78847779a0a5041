namespace Dllm.Decoding;

/// <summary>
/// The validated settings of a diffusion algorithm: the keys given in its YAML config file
/// (<c>--dllm-algorithm-config</c>), per-request overrides on top, and nothing else. Keys left out take the
/// algorithm's defaults (see the options records), so <see cref="Default"/> is an empty config.
/// Every value has been range-checked; errors are <see cref="AlgorithmConfigException"/>s naming key and source.
/// </summary>
public sealed class DiffusionAlgorithmConfig
{
    private const string RequestSource = "request";

    private readonly Dictionary<string, double> values;

    private DiffusionAlgorithmConfig(Dictionary<string, double> values, string source)
    {
        this.values = values;
        Values = values.AsReadOnly();
        Source = source;
    }

    /// <summary>No keys set: every algorithm's defaults.</summary>
    public static DiffusionAlgorithmConfig Default { get; } = new([], "defaults");

    /// <summary>Where the values came from (the file path, <c>defaults</c>, ...), used in error messages.</summary>
    public string Source { get; }

    /// <summary>The keys that were set, with their values (integers are whole numbers).</summary>
    public IReadOnlyDictionary<string, double> Values { get; }

    /// <summary>Reads and validates the YAML file at <paramref name="path"/> for the algorithm <paramref name="algorithmName"/>.</summary>
    /// <exception cref="AlgorithmConfigException">The file is missing, unreadable, malformed, or holds an invalid key or value.</exception>
    /// <exception cref="ArgumentException">The algorithm name is unknown.</exception>
    public static DiffusionAlgorithmConfig LoadFile(string path, string algorithmName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _ = DiffusionAlgorithms.Find(algorithmName);
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException)
        {
            throw new AlgorithmConfigException($"{path}: cannot read the algorithm config file: {ex.Message}", ex);
        }
        return Parse(yaml, algorithmName, path);
    }

    /// <summary>Parses and validates YAML text for <paramref name="algorithmName"/>; <paramref name="source"/> names it in errors.
    /// Empty text (or only comments) yields the defaults.</summary>
    /// <exception cref="AlgorithmConfigException">Malformed YAML, a non-mapping root, or an invalid key or value.</exception>
    /// <exception cref="ArgumentException">The algorithm name is unknown.</exception>
    public static DiffusionAlgorithmConfig Parse(string yaml, string algorithmName, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(source);
        AlgorithmRegistration registration = DiffusionAlgorithms.Find(algorithmName);
        return new(YamlConfigReader.Read(yaml, registration.Name, registration.Keys, source), source);
    }

    /// <summary>
    /// This config with a request's <c>threshold</c> and <c>block_size</c> (null = keep), range-checked like file
    /// values; errors name the key and <c>request</c>.
    /// </summary>
    /// <exception cref="AlgorithmConfigException">A value is out of range.</exception>
    public DiffusionAlgorithmConfig WithOverrides(double? threshold, int? blockSize)
    {
        if (threshold is null && blockSize is null)
            return this;
        var merged = new Dictionary<string, double>(values, StringComparer.Ordinal);
        Override(merged, AlgorithmConfigKeys.Threshold, threshold);
        Override(merged, AlgorithmConfigKeys.BlockSize, blockSize);
        return new(merged, $"{Source} + {RequestSource}");
    }

    /// <summary>
    /// This config with <paramref name="settings"/> on top (keys of the algorithm <paramref name="algorithmName"/>, each
    /// range-checked like a file value); errors name the key and <paramref name="source"/>. No settings: this config.
    /// </summary>
    /// <exception cref="AlgorithmConfigException">An unknown key or a value out of range.</exception>
    /// <exception cref="ArgumentException">The algorithm name is unknown.</exception>
    public DiffusionAlgorithmConfig WithSettings(IEnumerable<KeyValuePair<string, double>> settings, string algorithmName, string source)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var given = settings.ToList();
        if (given.Count == 0)
            return this;
        AlgorithmRegistration registration = DiffusionAlgorithms.Find(algorithmName);
        var merged = new Dictionary<string, double>(values, StringComparer.Ordinal);
        foreach (var (name, value) in given)
            merged[name] = YamlConfigReader.Find(registration.Keys, name, registration.Name, source).Check(value, source);
        return new(merged, Source == Default.Source ? source : $"{Source} + {source}");
    }

    /// <summary>
    /// The settings an engine runs with: the YAML file at <paramref name="path"/> (none: the defaults) and then
    /// <paramref name="settings"/>, for the algorithm <paramref name="algorithmName"/>.
    /// </summary>
    /// <exception cref="AlgorithmConfigException">The file or a setting is invalid (key and source named).</exception>
    /// <exception cref="ArgumentException">The algorithm name is unknown.</exception>
    public static DiffusionAlgorithmConfig Resolve(string? path, IEnumerable<KeyValuePair<string, double>> settings, string algorithmName, string settingsSource) =>
        (path is null ? Default : LoadFile(path, algorithmName)).WithSettings(settings, algorithmName, settingsSource);

    /// <summary>Checks that every key set here is one of <paramref name="keys"/> (a config parsed for another algorithm may not be).</summary>
    internal void EnsureKeys(string algorithmName, IReadOnlyList<AlgorithmConfigKey> keys)
    {
        foreach (string name in values.Keys)
            _ = YamlConfigReader.Find(keys, name, algorithmName, Source);
    }

    /// <summary>The value of a real-valued key, or <paramref name="fallback"/> when it is not set.</summary>
    internal double GetNumber(AlgorithmConfigKey key, double fallback) => values.GetValueOrDefault(key.Name, fallback);

    /// <summary>The value of an integer key, or <paramref name="fallback"/> when it is not set.</summary>
    internal int GetInteger(AlgorithmConfigKey key, int fallback) =>
        values.TryGetValue(key.Name, out double value) ? checked((int)value) : fallback;

    private static void Override(Dictionary<string, double> merged, AlgorithmConfigKey key, double? value)
    {
        if (value is double given)
            merged[key.Name] = key.Check(given, RequestSource);
    }
}
