namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>OpenAI <c>function</c> of a tool call: the name and the arguments as JSON text.</summary>
internal sealed record FunctionCall(string Name, string Arguments);
