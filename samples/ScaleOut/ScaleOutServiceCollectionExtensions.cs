using Yarp.ReverseProxy.LoadBalancing;

namespace Dllm.Samples.ScaleOut;

/// <summary>The proxy's services: YARP from the <c>ReverseProxy</c> configuration section, plus <see cref="ConversationAffinityPolicy"/>.</summary>
public static class ScaleOutServiceCollectionExtensions
{
    /// <summary>The configuration section YARP reads routes and clusters from.</summary>
    public const string SectionName = "ReverseProxy";

    /// <summary>Registers the reverse proxy over <paramref name="configuration"/>'s <see cref="SectionName"/> section and the conversation policy.</summary>
    public static IServiceCollection AddDllmScaleOut(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<ILoadBalancingPolicy, ConversationAffinityPolicy>();
        services.AddReverseProxy().LoadFromConfig(configuration.GetSection(SectionName));
        return services;
    }
}
