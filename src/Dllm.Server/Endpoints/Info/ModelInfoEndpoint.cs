using System.Text.Json.Nodes;
using Dllm.Hosting;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Endpoints.Info;

/// <summary><c>GET /get_model_info</c>: the model and tokenizer paths and that it is a generation model (SGLang's fields).</summary>
internal sealed class ModelInfoEndpoint(DllmEngineProvider provider) : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["GET"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/get_model_info"];

    /// <inheritdoc />
    public Task HandleAsync(HttpContext context)
    {
        string path = Path.GetFullPath(provider.Options.ModelPath);
        return DllmJson.WriteAsync(context, new JsonObject
        {
            ["model_path"] = path,
            ["tokenizer_path"] = path,
            ["is_generation"] = true,
            ["preferred_sampling_params"] = null,
            ["weight_version"] = "default",
        });
    }
}
