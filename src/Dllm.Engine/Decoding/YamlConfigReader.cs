using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dllm.Decoding;

/// <summary>
/// Reads a flat YAML mapping of <c>key: number</c> pairs and validates each pair against an algorithm's keys.
/// Errors name the source (the file) and the key; an empty document yields no values.
/// </summary>
internal static class YamlConfigReader
{
    /// <summary>Parses <paramref name="yaml"/> into validated values, in file order.</summary>
    public static Dictionary<string, double> Read(string yaml, string algorithmName, IReadOnlyList<AlgorithmConfigKey> keys, string source)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (LoadRoot(yaml, source) is not YamlMappingNode mapping)
            return values;
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            string where = $"{source} (line {keyNode.Start.Line})";
            if (keyNode is not YamlScalarNode { Value: string name })
                throw new AlgorithmConfigException($"{where}: keys must be plain names such as 'threshold', got a {Describe(keyNode)}.");
            AlgorithmConfigKey key = Find(keys, name, algorithmName, where);
            values[name] = key.Parse(ScalarText(valueNode, key, where), where);
        }
        return values;
    }

    /// <summary>The key named <paramref name="name"/>, or an error listing the valid keys.</summary>
    public static AlgorithmConfigKey Find(IReadOnlyList<AlgorithmConfigKey> keys, string name, string algorithmName, string where) =>
        keys.FirstOrDefault(k => k.Name == name)
        ?? throw new AlgorithmConfigException(
            $"{where}: unknown key '{name}' for algorithm {algorithmName}; valid keys: {string.Join(", ", keys.Select(k => k.Name))}.");

    private static YamlMappingNode? LoadRoot(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new AlgorithmConfigException(
                $"{source}: malformed YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }
        if (stream.Documents.Count > 1)
            throw new AlgorithmConfigException($"{source}: holds {stream.Documents.Count} YAML documents; expected one mapping.");
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode switch
        {
            YamlMappingNode mapping => mapping,
            YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" } => null,
            var other => throw new AlgorithmConfigException(
                $"{source}: the root must be a mapping of keys to values (e.g. 'threshold: 0.95'), got a {Describe(other)}."),
        };
    }

    private static string ScalarText(YamlNode node, AlgorithmConfigKey key, string where) => node switch
    {
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => scalar.Value ?? "",
        YamlScalarNode scalar => throw key.Invalid(where, $"the string \"{scalar.Value}\" (write numbers without quotes)"),
        _ => throw key.Invalid(where, $"a {Describe(node)}"),
    };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "sequence",
        YamlScalarNode scalar => $"scalar '{scalar.Value}'",
        _ => node.NodeType.ToString(),
    };
}
