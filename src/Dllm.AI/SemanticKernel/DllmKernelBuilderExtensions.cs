using Dllm;
using Dllm.AI;
using Dllm.AI.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.SemanticKernel;

/// <summary>
/// Adds a <see cref="DllmChatClient"/> to a Semantic Kernel as its <see cref="IChatClient"/> (keyed by the service id,
/// as Semantic Kernel's own connectors do), wrapped in Semantic Kernel's function invocation so that plugins run with
/// <c>FunctionChoiceBehavior.Auto()</c>. Execution settings reach the client as <see cref="ChatOptions"/>; their
/// <c>ExtensionData</c> keys <c>threshold</c>, <c>block_size</c>, <c>algorithm</c> and <c>min_p</c> reach the engine.
/// </summary>
public static class DllmKernelBuilderExtensions
{
    /// <summary>Adds a client over <paramref name="generator"/> (usually a <see cref="DllmEngine"/>), which the caller keeps owning.</summary>
    public static IKernelBuilder AddDllmChatClient(this IKernelBuilder builder, IDllmGenerator generator, DllmChatClientOptions? options = null,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(generator);
        builder.Services.AddKeyedSingleton<IChatClient>(serviceId, (sp, _) => new DllmChatClient(generator, options)
            .AsBuilder()
            .UseKernelFunctionInvocation(sp.GetService<ILoggerFactory>())
            .Build(sp));
        return builder;
    }

    /// <summary>
    /// Adds a client over the application's shared engine, configured by <paramref name="configure"/> (see
    /// <see cref="DllmChatClientServiceCollectionExtensions.AddDllmChatClient(IServiceCollection, Action{DllmChatClientSettings}, ServiceLifetime)"/>).
    /// </summary>
    public static IKernelBuilder AddDllmChatClient(this IKernelBuilder builder, Action<DllmChatClientSettings> configure, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ChatClientBuilder pipeline = serviceId is null
            ? builder.Services.AddDllmChatClient(configure)
            : builder.Services.AddKeyedDllmChatClient(serviceId, configure);
        pipeline.UseKernelFunctionInvocation();
        return builder;
    }
}
