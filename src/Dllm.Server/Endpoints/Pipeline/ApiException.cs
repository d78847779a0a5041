namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>
/// An error answered as <c>{"error": {"message", "type", "param", "code"}}</c> with an HTTP status: thrown by
/// request readers and endpoints, written by <see cref="EndpointPipeline"/>.
/// </summary>
internal sealed class ApiException(int statusCode, string message, string type, string? param = null, string? code = null)
    : Exception(message)
{
    /// <summary>The type of a client error (the OpenAI name, used for every 4xx).</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>The HTTP status.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The error type.</summary>
    public string Type { get; } = type;

    /// <summary>The request field at fault, when one is.</summary>
    public string? Param { get; } = param;

    /// <summary>A machine-readable code (e.g. <c>invalid_api_key</c>).</summary>
    public string? Code { get; } = code;

    /// <summary>When the client may retry (sent as <c>Retry-After</c>, in whole seconds); null: no header.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>400: the request is invalid; the message names <paramref name="param"/>.</summary>
    public static ApiException BadRequest(string message, string? param = null) => new(400, message, InvalidRequest, param);

    /// <summary>401: the API key is missing or wrong.</summary>
    public static ApiException Unauthorized() =>
        new(401, "Unauthorized: this server needs the header 'Authorization: Bearer <api key>' (the server's --api-key).", InvalidRequest, code: "invalid_api_key");

    /// <summary>403: a browser page of another site (<paramref name="origin"/>) may not call this server.</summary>
    public static ApiException ForeignOrigin(string origin) =>
        new(403, $"requests from the origin '{(origin.Length <= 100 ? origin : origin[..100] + "...")}' are not allowed: only the server's own origin and its --allowed-origins are.", InvalidRequest, "Origin", "origin_not_allowed");

    /// <summary>404: the route exists but has no such resource (e.g. a playground file).</summary>
    public static ApiException NotFound(string message) => new(404, message, InvalidRequest, code: "not_found");

    /// <summary>413: the body is larger than <paramref name="limit"/> bytes (or than the web server's own limit when null).</summary>
    public static ApiException TooLarge(long? limit) =>
        new(413, $"the request body is larger than the server's limit{(limit is null ? "" : $" of {limit} bytes")}.", InvalidRequest, code: "request_too_large");

    /// <summary>503: the server cannot generate now (loading, failed, shutting down); <paramref name="retryAfter"/> becomes <c>Retry-After</c>.</summary>
    public static ApiException Unavailable(string message, TimeSpan? retryAfter = null) =>
        new(503, message, "service_unavailable") { RetryAfter = retryAfter };

    /// <summary>503 with <c>Retry-After: 1</c>: the engine's waiting queue is full (backpressure; nothing ran).</summary>
    public static ApiException QueueFull(string message) => new(503, message, "service_unavailable", code: "queue_full") { RetryAfter = TimeSpan.FromSeconds(1) };

    /// <summary>500: the engine failed while generating a request; <paramref name="message"/> is safe for clients.</summary>
    public static ApiException EngineFailed(string message) => new(500, message, "server_error", code: "engine_error");

    /// <summary>500: an unexpected server failure; the details stay in the server log.</summary>
    public static ApiException Internal() => new(500, "internal error; the server log has the details.", "server_error");
}
