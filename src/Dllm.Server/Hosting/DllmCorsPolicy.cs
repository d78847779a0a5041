using Dllm.Server.Endpoints.Pipeline;
using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Dllm.Server.Hosting;

/// <summary>
/// The CORS policy <see cref="DllmServerOptions.CorsPolicyName"/>: the <see cref="DllmServerOptions.AllowedOrigins"/>
/// (matched as <see cref="OriginCheck"/> matches them), any method and header; no origin at all when the list is empty.
/// </summary>
internal static class DllmCorsPolicy
{
    /// <summary>Adds the policy for <paramref name="options"/> to <paramref name="cors"/>.</summary>
    public static void AddTo(CorsOptions cors, DllmServerOptions options) =>
        cors.AddPolicy(DllmServerOptions.CorsPolicyName, policy => policy
            .SetIsOriginAllowed(origin => OriginCheck.IsListed(origin, options.AllowedOrigins))
            .AllowAnyMethod()
            .AllowAnyHeader());
}
