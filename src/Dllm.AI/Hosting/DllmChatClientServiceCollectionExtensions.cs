using Dllm.AI;
using Dllm.AI.Hosting;
using Dllm.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="DllmChatClient"/> as the application's <see cref="IChatClient"/>.</summary>
public static class DllmChatClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="DllmChatClient"/> as <see cref="IChatClient"/> over the application's shared engine, with
    /// <see cref="DllmChatClientSettings"/> bound from <paramref name="configuration"/> (e.g. the <c>"Dllm"</c> section)
    /// and then <paramref name="configure"/>, validated when the application starts. The engine is registered once
    /// (<see cref="DllmEngineServiceCollectionExtensions.AddDllmEngine"/>): when the HTTP server or another client
    /// registered it first, that registration's engine settings win and this one's are not used. The engine's health
    /// check <see cref="DllmEngineHealthCheck"/> is registered too, so <c>app.MapHealthChecks(...)</c> reports it.
    /// </summary>
    /// <returns>The builder of the client pipeline, for <c>.UseLogging()</c>, <c>.UseOpenTelemetry()</c>, <c>.UseFunctionInvocation()</c>.</returns>
    public static ChatClientBuilder AddDllmChatClient(this IServiceCollection services, IConfiguration? configuration = null,
        Action<DllmChatClientSettings>? configure = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        string name = Options.Options.DefaultName;
        AddSettings(services, name, configuration, configure, serviceKey: null);
        return services.AddChatClient(sp => CreateClient(sp, name, serviceKey: null), lifetime);
    }

    /// <summary>Registers a <see cref="DllmChatClient"/> configured by <paramref name="configure"/>; see the overload with a configuration.</summary>
    public static ChatClientBuilder AddDllmChatClient(this IServiceCollection services, Action<DllmChatClientSettings> configure,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddDllmChatClient(configuration: null, configure, lifetime);
    }

    /// <summary>
    /// Registers a <see cref="DllmChatClient"/> as the keyed <see cref="IChatClient"/> <paramref name="serviceKey"/>; its
    /// settings are the named options <c>serviceKey.ToString()</c>. A key whose <see cref="Dllm.DllmEngineOptions.ModelPath"/>
    /// names another model than the shared engine's gets an engine of its own (the keyed <see cref="DllmEngineProvider"/>
    /// <paramref name="serviceKey"/>, loaded on first use, with this key's engine settings); a key without a model path,
    /// or with the shared engine's, uses the shared engine. A key's model path is validated at start. Otherwise as <see cref="AddDllmChatClient(IServiceCollection, IConfiguration?, Action{DllmChatClientSettings}?, ServiceLifetime)"/>.
    /// </summary>
    public static ChatClientBuilder AddKeyedDllmChatClient(this IServiceCollection services, object serviceKey, IConfiguration? configuration = null,
        Action<DllmChatClientSettings>? configure = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        string name = serviceKey.ToString() ?? "";
        AddSettings(services, name, configuration, configure, serviceKey);
        return services.AddKeyedChatClient(serviceKey, sp => CreateClient(sp, name, serviceKey), lifetime);
    }

    /// <summary>Registers a keyed <see cref="DllmChatClient"/> configured by <paramref name="configure"/>.</summary>
    public static ChatClientBuilder AddKeyedDllmChatClient(this IServiceCollection services, object serviceKey, Action<DllmChatClientSettings> configure,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddKeyedDllmChatClient(serviceKey, configuration: null, configure, lifetime);
    }

    private static void AddSettings(IServiceCollection services, string name, IConfiguration? configuration, Action<DllmChatClientSettings>? configure, object? serviceKey)
    {
        bool registersEngine = !services.Any(d => d.ServiceType == typeof(DllmEngineProvider) && !d.IsKeyedService);
        OptionsBuilder<DllmChatClientSettings> settings = services.AddOptions<DllmChatClientSettings>(name);
        if (configuration is not null)
            settings.Bind(configuration);
        if (configure is not null)
            settings.Configure(configure);
        settings.ValidateOnStart();
        services.AddSingleton<IValidateOptions<DllmChatClientSettings>>(new DllmChatClientSettingsValidator(name, registersEngine, keyed: serviceKey is not null));
        services.AddDllmEngine(sp => Settings(sp, name));
        if (serviceKey is not null)
            services.TryAddKeyedSingleton(serviceKey, (sp, _) => new DllmEngineProvider(Settings(sp, name), sp.GetService<ILoggerFactory>()));
        HealthCheckRegistrations.AddEngineCheck(services);
    }

    private static DllmChatClient CreateClient(IServiceProvider services, string name, object? serviceKey)
    {
        var settings = Settings(services, name);
        return new DllmChatClient(EngineFor(services, settings, serviceKey), settings.ToClientOptions());
    }

    /// <summary>The shared engine, or the key's own when the key names another model.</summary>
    private static DllmEngineProvider EngineFor(IServiceProvider services, DllmChatClientSettings settings, object? serviceKey)
    {
        var shared = services.GetRequiredService<DllmEngineProvider>();
        if (serviceKey is null || string.IsNullOrWhiteSpace(settings.ModelPath) || SamePath(settings.ModelPath, shared.Options.ModelPath))
            return shared;
        return services.GetRequiredKeyedService<DllmEngineProvider>(serviceKey);
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private static DllmChatClientSettings Settings(IServiceProvider services, string name) =>
        services.GetRequiredService<IOptionsMonitor<DllmChatClientSettings>>().Get(name);
}
