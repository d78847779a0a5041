using System.Text.Json;
using Dllm.Chat;

namespace Dllm.Training.Data;

/// <summary>
/// How a host describes the functions it offers: a prefix before each function's name (a plugin's name and its
/// separator, or none) and the <see cref="ToolSchemaStyle"/> of the parameters schema. <see cref="Draw"/> picks one
/// of the hosts the demo model is trained for.
/// </summary>
/// <param name="Prefix">Written before every function name, e.g. <c>demo_</c>; "" for none.</param>
/// <param name="Schema">How the parameters schema is written.</param>
public sealed record ToolPresentation(string Prefix, ToolSchemaStyle Schema)
{
    /// <summary>Plugin names a prefix is made of.</summary>
    public static IReadOnlyList<string> PluginNames { get; } = ["demo", "weather", "tools", "Demo", "DemoTools", "Weather", "WeatherPlugin"];

    /// <summary>
    /// The hosts and their weights: OpenAI-style schemas written by hand without a prefix (2) or with a
    /// <c>plugin-</c> prefix (1); Microsoft.Extensions.AI's <c>AIFunctionFactory</c> functions, no prefix (3); Semantic
    /// Kernel plugins, which name a function <c>plugin_function</c> (4). Half the presentations have no prefix.
    /// </summary>
    public static IReadOnlyList<(string? Separator, ToolSchemaStyle Schema, int Weight)> Hosts { get; } =
    [
        (null, ToolSchemaStyle.OpenAI, 2),
        ("-", ToolSchemaStyle.OpenAI, 1),
        (null, ToolSchemaStyle.ExtensionsAI, 3),
        ("_", ToolSchemaStyle.SemanticKernel, 4),
    ];

    /// <summary>A host of <see cref="Hosts"/> by weight, with a plugin name of <see cref="PluginNames"/> when it has a prefix.</summary>
    public static ToolPresentation Draw(Random random)
    {
        var (separator, schema) = Weighted.Pick(random, [.. Hosts.Select(h => ((h.Separator, h.Schema), h.Weight))]);
        return new(separator is null ? "" : PluginNames[random.Next(PluginNames.Count)] + separator, schema);
    }

    /// <summary>The definition of a function of one string parameter as this host writes it.</summary>
    /// <param name="function">The function's own name (the prefix goes before it).</param>
    /// <param name="description">What the function does.</param>
    /// <param name="parameter">The parameter's name.</param>
    /// <param name="parameterDescription">What the parameter is.</param>
    public ToolDefinition Describe(string function, string description, string parameter, string parameterDescription)
    {
        string about = JsonSerializer.Serialize(parameterDescription);
        string property = Schema == ToolSchemaStyle.OpenAI
            ? $$"""{"type": "string", "description": {{about}}}"""
            : $$"""{"description": {{about}}, "type": "string"}""";
        string condition = Schema == ToolSchemaStyle.SemanticKernel ? $", \"condition\": {JsonSerializer.Serialize(description)}" : "";
        string name = JsonSerializer.Serialize(parameter);
        return new(Prefix + function, description,
            $$"""{"type": "object"{{condition}}, "properties": {{{name}}: {{property}}}, "required": [{{name}}]}""");
    }
}
