namespace Dllm.Training.Data;

/// <summary>How a host writes a function's parameters schema (the keys and their order, which the model reads).</summary>
public enum ToolSchemaStyle
{
    /// <summary>Written by hand in the OpenAI style, as an HTTP client sends it: a parameter's <c>type</c> before its
    /// <c>description</c>: <c>{"type": "object", "properties": {"city": {"type": "string", "description": "The city
    /// name."}}, "required": ["city"]}</c>.</summary>
    OpenAI,

    /// <summary>As Microsoft.Extensions.AI's <c>AIFunctionFactory</c> writes it: a parameter's <c>description</c> before
    /// its <c>type</c>: <c>{"type": "object", "properties": {"city": {"description": "The city name.", "type":
    /// "string"}}, "required": ["city"]}</c>.</summary>
    ExtensionsAI,

    /// <summary>As Semantic Kernel 1.82 writes a kernel function's schema: the <see cref="ExtensionsAI"/> form with the
    /// function's description under a <c>condition</c> key after <c>type</c> (its schema model names that property
    /// so): <c>{"type": "object", "condition": "Get the current weather in a city.", "properties": {"city":
    /// {"description": "The city name.", "type": "string"}}, "required": ["city"]}</c>.</summary>
    SemanticKernel,
}
