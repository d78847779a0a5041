using Dllm.Server.Diagnostics;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>
/// Runs an endpoint: the <c>Origin</c> check first (403 for a page of another site), then the API key (401; the key's
/// <see cref="RequestOwner"/> is recorded as a request feature), then the handler; an exception before the response
/// started becomes the documented error response (400/413/415/503/500), one after it started is the streaming
/// writer's to report.
/// A client that went away ends the request quietly.
/// </summary>
internal sealed class EndpointPipeline(IOptions<DllmServerOptions> options, ILogger<EndpointPipeline> logger)
{
    /// <summary>Answers <paramref name="context"/> with <paramref name="endpoint"/>.</summary>
    public async Task InvokeAsync(IDllmEndpoint endpoint, HttpContext context)
    {
        try
        {
            if (!OriginCheck.IsAllowed(context.Request, options.Value.AllowedOrigins))
                throw ApiException.ForeignOrigin(context.Request.Headers.Origin.ToString());
            if (ApiKeyCheck.Authorize(context, options.Value) is { } owner)
                context.Features.Set(owner);
            else if (endpoint.RequiresApiKey)
                throw ApiException.Unauthorized();
            await endpoint.HandleAsync(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            logger.ClientWentAway(context.Request.Method, context.Request.Path);
        }
        catch (Exception e)
        {
            var error = ApiErrors.From(e);
            if (!ApiErrors.IsReported(e))
                logger.EndpointFailed(e, context.Request.Method, context.Request.Path);
            else if (error.StatusCode >= 500 && error.StatusCode != StatusCodes.Status503ServiceUnavailable)
                logger.RequestServerError(context.Request.Method, context.Request.Path, error.StatusCode, error.Message);
            else
                logger.RequestRefused(endpoint.IsProbe ? LogLevel.Debug : LogLevel.Information, context.Request.Method, context.Request.Path, error.StatusCode, error.Message);
            if (!context.Response.HasStarted)
                await ApiErrors.WriteAsync(context, error).ConfigureAwait(false);
        }
    }
}
