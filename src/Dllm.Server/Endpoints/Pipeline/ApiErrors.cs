using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dllm.Decoding;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Running;
using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>Maps exceptions to API errors and writes them.</summary>
internal static class ApiErrors
{
    /// <summary>
    /// The API error for <paramref name="error"/>: an <see cref="ApiException"/> as it is, Kestrel's body errors with
    /// their status (413 for a too-large body), an engine failure of the request a 500 with the engine's safe message,
    /// a full waiting queue a 503 with <c>Retry-After</c>, anything else a 500 "internal error" whose message says
    /// nothing of the exception (the server logs it; it keeps serving other requests).
    /// </summary>
    public static ApiException From(Exception error) => error switch
    {
        ApiException api => api,
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => ApiException.TooLarge(null),
        BadHttpRequestException bad => new ApiException(bad.StatusCode, bad.Message, ApiException.InvalidRequest),
        DllmGenerationException failed => ApiException.EngineFailed(failed.Message),
        DllmQueueFullException full => QueueFull(full.MaxQueuedRequests),
        _ => ApiException.Internal(),
    };

    /// <summary>True for exceptions whose cause was logged where it happened (the engine logs its failures once) or that
    /// are answers rather than failures: the endpoints log them in one line, without a stack trace.</summary>
    public static bool IsReported(Exception error) => error is ApiException or BadHttpRequestException or DllmGenerationException or DllmQueueFullException;

    /// <summary>The 503 for a full waiting queue of <paramref name="limit"/> requests.</summary>
    public static ApiException QueueFull(int limit) =>
        ApiException.QueueFull($"the server's waiting queue is full ({limit} requests, --max-queued-requests); retry later.");

    /// <summary>A 400 for the engine's verdict on a request, in the engine's words: its argument and algorithm-config errors name the field.</summary>
    private static ApiException FromEngineValidation(Exception error) => error switch
    {
        ArgumentException argument => ApiException.BadRequest(MessageOf(argument), FieldOf(argument)),
        AlgorithmConfigException { Key: string key } => ApiException.BadRequest(error.Message, key),
        _ => ApiException.BadRequest(error.Message),
    };

    /// <summary>
    /// A 400 for the engine's verdict on the prompt at <paramref name="index"/> of a request, in the route's words:
    /// <c>param</c> and the field in the message are <paramref name="names"/>' spelling of the engine's field, and in a
    /// batch the message starts with <c>prompt i: </c>.
    /// </summary>
    public static ApiException FromValidation(Exception error, RequestFieldNames names, int index)
    {
        var generic = FromEngineValidation(error);
        string message = generic.Message;
        string? param = null;
        if (generic.Param is string engineField)
        {
            param = names.Name(engineField, index);
            message = Regex.Replace(message, $@"\b{Regex.Escape(engineField)}\b", param.Replace("$", "$$", StringComparison.Ordinal), RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        return ApiException.BadRequest(names.IsBatch ? $"prompt {index}: {message}" : message, param);
    }

    /// <summary>The error object <c>{"error": {...}}</c>.</summary>
    public static JsonObject ToJson(ApiException error) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = error.Message,
            ["type"] = error.Type,
            ["param"] = error.Param,
            ["code"] = error.Code,
        },
    };

    /// <summary>Writes <paramref name="error"/> as the response (the response must not have started); a <c>HEAD</c> gets the status alone.</summary>
    public static Task WriteAsync(HttpContext context, ApiException error)
    {
        context.Response.StatusCode = error.StatusCode;
        if (error.RetryAfter is TimeSpan retryAfter)
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(Math.Max(retryAfter.TotalSeconds, 1))).ToString(CultureInfo.InvariantCulture);
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : DllmJson.WriteAsync(context, ToJson(error));
    }

    /// <summary>The message without the " (Parameter 'x')" suffix .NET appends.</summary>
    private static string MessageOf(ArgumentException error) =>
        error.ParamName is string name && error.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? error.Message[..^$" (Parameter '{name}')".Length]
            : error.Message;

    /// <summary>
    /// The field an engine validation error names: its parameter name when that is a snake_case field
    /// (SamplingParams' errors), else a leading <c>field:</c> of the message (<c>input_ids: token id ...</c>).
    /// </summary>
    private static string? FieldOf(ArgumentException error)
    {
        if (error.ParamName is string name && name != "request" && IsFieldName(name))
            return name;
        int colon = error.Message.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && IsFieldName(error.Message[..colon]) ? error.Message[..colon] : null;
    }

    private static bool IsFieldName(string name) => name.All(c => char.IsAsciiLetterLower(c) || c == '_' || c == '.');
}
