namespace Dllm.Chat;

/// <summary>A tool call the assistant made: which tool, with which arguments.</summary>
/// <param name="Name">The tool's name.</param>
/// <param name="ArgumentsJson">The arguments as JSON text, normally an object such as <c>{"city": "Paris"}</c>.</param>
public sealed record ToolCallRequest(string Name, string ArgumentsJson);
