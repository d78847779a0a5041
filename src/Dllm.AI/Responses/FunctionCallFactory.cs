using System.Text.Json;
using System.Text.RegularExpressions;
using Dllm.Chat;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Responses;

/// <summary>
/// Turns the parsed <c>&lt;tool_call&gt;</c> blocks into <see cref="FunctionCallContent"/>s with fresh call ids and
/// <see cref="JsonElement"/> argument values. A block that could not be read becomes a call whose
/// <see cref="FunctionCallContent.Exception"/> says why (its name read from the raw text when possible), so the function
/// invocation loop reports it back to the model instead of throwing.
/// </summary>
internal static partial class FunctionCallFactory
{
    /// <summary>The content for <paramref name="call"/>.</summary>
    public static FunctionCallContent Create(ParsedToolCall call)
    {
        string callId = $"call_{Guid.NewGuid():N}";
        FunctionCallContent content = call.IsValid
            ? FunctionCallContent.CreateFromParsedArguments(call.ArgumentsJson!, callId, call.Name!, ParseArguments)
            : new FunctionCallContent(callId, NameIn(call.RawText), arguments: null)
            {
                Exception = new InvalidOperationException($"The model's tool call could not be read ({call.Error}): {call.RawText}"),
            };
        content.RawRepresentation = call;
        return content;
    }

    private static Dictionary<string, object?>? ParseArguments(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions);

    private static string NameIn(string rawText) => NamePattern().Match(rawText) is { Success: true } match ? match.Groups[1].Value : "";

    [GeneratedRegex("\"name\"\\s*:\\s*\"([^\"\\\\]*)\"")]
    private static partial Regex NamePattern();
}
