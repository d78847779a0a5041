namespace Dllm.Chat;

/// <summary>A tool (function) the model may call.</summary>
/// <param name="Name">The tool's name.</param>
/// <param name="Description">What the tool does; left out of the prompt when null.</param>
/// <param name="ParametersJsonSchema">JSON schema of the arguments object, as JSON text; left out of the prompt when null.</param>
public sealed record ToolDefinition(string Name, string? Description = null, string? ParametersJsonSchema = null);
