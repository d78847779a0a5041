using System.Text.Json.Nodes;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Endpoints.Info;

/// <summary><c>GET /v1/models</c>: the one served model, in the OpenAI list shape with SGLang's <c>root</c> and <c>max_model_len</c>.</summary>
internal sealed class ModelsEndpoint(GenerationRunner runner, DllmServerState state) : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["GET"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/v1/models"];

    /// <inheritdoc />
    public Task HandleAsync(HttpContext context)
    {
        var (engine, generator) = runner.RequireReady();
        var model = new JsonObject
        {
            ["id"] = generator.ModelName,
            ["object"] = "model",
            ["created"] = state.CreatedAt.ToUnixTimeSeconds(),
            ["owned_by"] = "dllm",
            ["root"] = generator.ModelName,
            ["max_model_len"] = engine.ContextLength,
        };
        return DllmJson.WriteAsync(context, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(model) });
    }
}
