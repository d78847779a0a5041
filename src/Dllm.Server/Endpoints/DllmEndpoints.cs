using Dllm.Server.Endpoints.Abort;
using Dllm.Server.Endpoints.Generate;
using Dllm.Server.Endpoints.Health;
using Dllm.Server.Endpoints.Info;
using Dllm.Server.Endpoints.OpenAI;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Playground;

namespace Dllm.Server.Endpoints;

/// <summary>The routes of the server, one class each.</summary>
internal static class DllmEndpoints
{
    /// <summary>The endpoint types, in the order they are mapped.</summary>
    public static IReadOnlyList<Type> Types { get; } =
    [
        typeof(GenerateEndpoint),
        typeof(HealthEndpoint),
        typeof(ModelInfoEndpoint),
        typeof(ServerInfoEndpoint),
        typeof(ModelsEndpoint),
        typeof(ChatCompletionsEndpoint),
        typeof(CompletionsEndpoint),
        typeof(AbortEndpoint),
        typeof(PlaygroundEndpoint),
    ];

    /// <summary>Creates the endpoint <paramref name="type"/> with its services.</summary>
    public static IDllmEndpoint Create(IServiceProvider services, Type type) =>
        (IDllmEndpoint)Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance(services, type);
}
