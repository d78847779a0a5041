using System.Text.Json;
using Dllm.Chat;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>Reads a <c>/v1/chat/completions</c> body (the <c>model</c> field is not checked: this server serves one model).</summary>
internal static class ChatCallReader
{
    private static readonly Dictionary<string, Func<JsonElement, bool>> Unsupported = new(StringComparer.Ordinal)
    {
        ["n"] = OpenAiSamplingReader.IsOne,
        ["logprobs"] = OpenAiSamplingReader.IsFalse,
        ["top_logprobs"] = _ => false,
        ["response_format"] = IsTextFormat,
    };

    /// <summary>Reads <paramref name="root"/>.</summary>
    public static ChatCall Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("the request body must be a JSON object.");
        var messages = ChatMessageReader.Read(root);
        var tools = ToolDefinitionReader.Read(root);
        var sampling = OpenAiSamplingReader.Read(root, ["max_tokens", "max_completion_tokens"], Unsupported);
        bool stream = JsonFields.TryGet(root, "stream", out var s) && JsonFields.Bool(s, "stream");
        var chat = new ChatRequest
        {
            Turns = messages,
            Tools = tools,
            Generation = new GenerateRequest { Sampling = sampling.Sampling, UntilContextEnd = !sampling.MaxTokensGiven, RequestId = RequestId(root) },
        };
        return new ChatCall(chat, sampling.MaxTokensField, stream, IncludeUsage(root));
    }

    /// <summary><c>stream_options.include_usage</c>.</summary>
    public static bool IncludeUsage(JsonElement root) =>
        JsonFields.TryGet(root, "stream_options", out var options)
        && JsonFields.TryGet(JsonFields.Object(options, "stream_options"), "include_usage", out var include)
        && JsonFields.Bool(include, "stream_options.include_usage");

    /// <summary>SGLang's <c>rid</c> extension (not empty).</summary>
    public static string? RequestId(JsonElement root) =>
        !JsonFields.TryGet(root, "rid", out var rid) ? null
        : JsonFields.String(rid, "rid") is { Length: > 0 } id ? id
        : throw GenerationRunner.EmptyRequestId();

    private static bool IsTextFormat(JsonElement format) =>
        format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "text";
}
