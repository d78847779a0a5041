using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>The JSON errors for a request no route answers: 405 on a dllm path with another method, 404 on an unknown path.</summary>
internal static class RouteMissResponses
{
    /// <summary>405 with <c>Allow</c>: <paramref name="allowed"/> are the methods the path answers.</summary>
    public static Task MethodNotAllowedAsync(HttpContext context, IReadOnlyList<string> allowed)
    {
        context.Response.Headers[HeaderNames.Allow] = string.Join(", ", allowed);
        return ApiErrors.WriteAsync(context, new ApiException(StatusCodes.Status405MethodNotAllowed,
            $"{context.Request.Path} does not answer {context.Request.Method}; it answers {string.Join(", ", allowed)}.",
            ApiException.InvalidRequest, code: "method_not_allowed"));
    }

    /// <summary>404 for a path the server has no route for.</summary>
    public static Task NotFoundAsync(HttpContext context) =>
        ApiErrors.WriteAsync(context, new ApiException(StatusCodes.Status404NotFound,
            $"no route {context.Request.Method} {context.Request.Path}; see GET /get_server_info and docs/http-api.md for the routes.",
            ApiException.InvalidRequest, code: "not_found"));
}
