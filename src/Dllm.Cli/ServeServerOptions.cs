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

    /// <summary>
    /// Throws a <see cref="ServeSetupException"/> naming the flag for a value that cannot work: the flags are applied to
    /// fresh options and checked by the server's own rules (<see cref="DllmServerOptionsValidator"/>), so <c>dllm serve</c>
    /// and an app's configuration are held to the same limits.
    /// </summary>
    public static void Check(ServeSettings settings)
    {
        var options = new DllmServerOptions();
        Apply(settings, options);
        if (DllmServerOptionsValidator.Check(options).FirstOrDefault() is { Property: not null } problem)
            throw new ServeSetupException($"{FlagOf(problem.Property)} {problem.Text}");
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

    /// <summary>The flag that sets an option.</summary>
    private static string FlagOf(string property) => property switch
    {
        nameof(DllmServerOptions.MaxPromptsPerRequest) => "--max-prompts-per-request",
        nameof(DllmServerOptions.MaxRequestBodyBytes) => "--max-request-body-bytes",
        nameof(DllmServerOptions.AllowedOrigins) => "--allowed-origins",
        nameof(DllmServerOptions.AdminApiKey) => "--admin-api-key",
        nameof(DllmServerOptions.ApiKeys) => "--api-key",
        nameof(DllmServerOptions.DrainTimeout) => "--drain-timeout",
        nameof(DllmServerOptions.HealthGenerateTimeout) => "--health-check-timeout",
        _ => property,
    };

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
        server.DrainTimeout = Seconds(settings.DrainTimeoutSeconds) ?? server.DrainTimeout;
        server.HealthGenerateTimeout = Seconds(settings.HealthCheckTimeoutSeconds) ?? server.HealthGenerateTimeout;
    }

    /// <summary>A flag's seconds as a TimeSpan; a value no TimeSpan holds (NaN, infinite, huge) becomes one the rules refuse.</summary>
    private static TimeSpan? Seconds(double? seconds) => seconds switch
    {
        null => null,
        double s when double.IsNaN(s) || s < -1e9 => TimeSpan.MinValue,
        double s when s > 1e9 => TimeSpan.MaxValue,
        double s => TimeSpan.FromSeconds(s),
    };
}
