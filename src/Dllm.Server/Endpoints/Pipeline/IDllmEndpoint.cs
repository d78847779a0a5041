using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>One route of the server. <see cref="EndpointPipeline"/> runs it with the API-key check and error handling.</summary>
internal interface IDllmEndpoint
{
    /// <summary>The HTTP methods it answers.</summary>
    IReadOnlyList<string> Methods { get; }

    /// <summary>The paths it answers.</summary>
    IReadOnlyList<string> Patterns { get; }

    /// <summary>Whether <c>--api-key</c> applies (everything but the health probes).</summary>
    bool RequiresApiKey => true;

    /// <summary>Whether it is a health probe, whose refusals (503 while loading) are logged at Debug: probes come every few seconds.</summary>
    bool IsProbe => false;

    /// <summary>Answers the request.</summary>
    Task HandleAsync(HttpContext context);
}
