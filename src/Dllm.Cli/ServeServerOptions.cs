using System.Globalization;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;

namespace Dllm.Cli;

/// <summary><c>dllm serve</c>'s HTTP flags (keys, origins, limits): checked before anything loads, then applied to <see cref="DllmServerOptions"/>.</summary>
internal static class ServeServerOptions
{
    /// <summary>The items of repeated and comma-separated values, trimmed, empty ones left out.</summary>
    public static IReadOnlyList<string> SplitList(IEnumerable<string>? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    /// <summary>Throws a <see cref="ServeSetupException"/> naming the flag for a value that cannot work.</summary>
    public static void Check(ServeSettings settings)
    {
        if (settings.MaxPromptsPerRequest is < 1)
            throw new ServeSetupException($"--max-prompts-per-request must be at least 1, got {settings.MaxPromptsPerRequest}.");
        if (settings.MaxRequestBodyBytes is < 1024)
            throw new ServeSetupException($"--max-request-body-bytes must be at least 1024, got {settings.MaxRequestBodyBytes}.");
        if (settings.AllowedOrigins.FirstOrDefault(o => o != "*" && OriginCheck.Normalize(o) is null) is string bad)
            throw new ServeSetupException($"--allowed-origins: '{bad}' is not an origin; give scheme://host[:port] (e.g. http://localhost:5173) or *.");
        if (settings.AdminApiKey is { Length: 0 })
            throw new ServeSetupException("--admin-api-key must not be empty.");
    }

    /// <summary>The deadline <c>--request-timeout</c> gives every HTTP generation, or null.</summary>
    /// <exception cref="ServeSetupException">Not a positive number of seconds.</exception>
    public static TimeSpan? RequestTimeout(ServeSettings settings) => settings.RequestTimeoutSeconds switch
    {
        null => null,
        double seconds when seconds > 0 && seconds <= MaxRequestTimeoutSeconds => TimeSpan.FromSeconds(seconds),
        double seconds => throw new ServeSetupException(string.Create(CultureInfo.InvariantCulture,
            $"--request-timeout must be a number of seconds above 0 and at most {MaxRequestTimeoutSeconds} (a year), got {seconds}.")),
    };

    private const double MaxRequestTimeoutSeconds = 365 * 24 * 3600;

    /// <summary>Sets the options the flags give.</summary>
    public static void Apply(ServeSettings settings, DllmServerOptions server)
    {
        foreach (string key in settings.ApiKeys)
            server.ApiKeys.Add(key);
        server.AdminApiKey = settings.AdminApiKey;
        foreach (string origin in settings.AllowedOrigins)
            server.AllowedOrigins.Add(origin);
        server.MaxPromptsPerRequest = settings.MaxPromptsPerRequest ?? server.MaxPromptsPerRequest;
        server.MaxRequestBodyBytes = settings.MaxRequestBodyBytes ?? server.MaxRequestBodyBytes;
    }
}
