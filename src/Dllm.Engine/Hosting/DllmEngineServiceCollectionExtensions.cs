using Dllm;
using Dllm.Checkpoints;
using Dllm.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the application's one <see cref="DllmEngineProvider"/>.</summary>
public static class DllmEngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="DllmEngineProvider"/> built from <paramref name="options"/> (the first
    /// registration wins, so the chat client and the HTTP server share one engine). An
    /// <see cref="IProgress{T}"/> of <see cref="CheckpointLoadProgress"/> registered in the container observes the
    /// model load (every tensor, on the loading thread): how <c>dllm serve</c> draws its progress bar.
    /// </summary>
    public static IServiceCollection AddDllmEngine(this IServiceCollection services, Func<IServiceProvider, DllmEngineOptions> options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(sp => new DllmEngineProvider(options(sp), sp.GetService<ILoggerFactory>(), sp.GetService<IProgress<CheckpointLoadProgress>>()));
        return services;
    }
}
