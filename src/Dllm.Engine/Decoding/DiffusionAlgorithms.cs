namespace Dllm.Decoding;

/// <summary>
/// The diffusion algorithms by name (<c>--dllm-algorithm</c>, case-insensitive). Adding one: its class, its
/// options record (defaults, <c>Keys</c>, <c>FromConfig</c>), and one line in <see cref="Registrations"/>.
/// </summary>
public static class DiffusionAlgorithms
{
    private static readonly AlgorithmRegistration[] Registrations =
    [
        new(LowConfidenceAlgorithm.AlgorithmName, LowConfidenceOptions.Keys, c => new LowConfidenceAlgorithm(LowConfidenceOptions.FromConfig(c))),
        new(JointThresholdAlgorithm.AlgorithmName, JointThresholdOptions.Keys, c => new JointThresholdAlgorithm(JointThresholdOptions.FromConfig(c))),
    ];

    /// <summary>The registered names, as spelled canonically.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(Registrations.Select(r => r.Name).ToArray());

    /// <summary>Creates the algorithm named <paramref name="name"/> (any case) with its defaults.</summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known names.</exception>
    public static IDiffusionAlgorithm Create(string name) => Create(name, DiffusionAlgorithmConfig.Default);

    /// <summary>Creates the algorithm named <paramref name="name"/> (any case) from <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known names.</exception>
    /// <exception cref="AlgorithmConfigException">The config sets a key this algorithm does not accept.</exception>
    public static IDiffusionAlgorithm Create(string name, DiffusionAlgorithmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        AlgorithmRegistration registration = Find(name);
        config.EnsureKeys(registration.Name, registration.Keys);
        return registration.Create(config);
    }

    /// <summary>The YAML keys the algorithm named <paramref name="name"/> accepts.</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static IReadOnlyList<AlgorithmConfigKey> KeysOf(string name) => Find(name).Keys;

    /// <summary>The registration named <paramref name="name"/> (any case), or an error listing the known names.</summary>
    internal static AlgorithmRegistration Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Registrations.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                $"Unknown diffusion algorithm '{name}'; known algorithms: {string.Join(", ", Names)}.", nameof(name));
    }
}
