using Dllm.Server.Diagnostics;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dllm.Server.Endpoints.Abort;

/// <summary>
/// <c>POST /abort_request</c> <c>{"rid": "..."}</c> or <c>{"abort_all": true}</c> (SGLang's fields): the named requests
/// end with finish reason <c>abort</c> and their output so far, and free their engine slots. 200 with an empty body,
/// also when no such request runs (as SGLang). With API keys a caller reaches only its own key's requests (another
/// key's rid counts as not running) and <c>abort_all</c> aborts only those; the admin key reaches every request.
/// </summary>
internal sealed class AbortEndpoint(RequestBodyReader body, RequestTracker tracker, ILogger<AbortEndpoint> logger) : IDllmEndpoint
{
    /// <summary>The abort message a request ends with.</summary>
    public const string Reason = "aborted by /abort_request";

    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["POST"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/abort_request"];

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        using var json = await body.ReadJsonAsync(context).ConfigureAwait(false);
        var root = JsonFields.Object(json.RootElement, "the request body");
        bool all = JsonFields.TryGet(root, "abort_all", out var allValue) && JsonFields.Bool(allValue, "abort_all");
        if (all)
        {
            logger.AbortedAll(tracker.AbortAll(RequestOwner.Of(context), Reason));
        }
        else if (JsonFields.TryGet(root, "rid", out var rid))
        {
            string id = JsonFields.String(rid, "rid");
            logger.AbortRequested(id, tracker.Abort(RequestOwner.Of(context), id, Reason) ? "aborted" : "not running");
        }
        else
        {
            throw ApiException.BadRequest("give rid (the request id) or abort_all: true.", "rid");
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
