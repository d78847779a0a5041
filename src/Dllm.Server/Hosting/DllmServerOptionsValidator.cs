using System.Globalization;
using Dllm.Server.Endpoints.Pipeline;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Hosting;

/// <summary>
/// The one set of rules for <see cref="DllmServerOptions"/>: checked at host start (<c>ValidateOnStart</c>) with
/// messages naming the configuration key (<c>Dllm:Server:DrainTimeout ...</c>), and by <c>dllm serve</c> with the
/// flag's name instead, so a value that cannot work is refused before the model loads.
/// </summary>
internal sealed class DllmServerOptionsValidator : IValidateOptions<DllmServerOptions>
{
    /// <summary>The longest drain or health-generation timeout accepted: a day.</summary>
    internal static readonly TimeSpan LongestTimeout = TimeSpan.FromDays(1);

    /// <summary>One rule broken: the option's property and what is wrong, to follow the option's name (<c>"must be at least 1, got 0."</c>).</summary>
    internal readonly record struct Problem(string Property, string Text);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DllmServerOptions options)
    {
        var problems = Check(options).Select(p => $"{DllmServerOptions.ConfigurationSection}:{p.Property} {p.Text}").ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Every rule <paramref name="options"/> breaks.</summary>
    internal static IEnumerable<Problem> Check(DllmServerOptions options)
    {
        if (options.MaxPromptsPerRequest < 1)
            yield return new(nameof(options.MaxPromptsPerRequest), Invariant($"must be at least 1, got {options.MaxPromptsPerRequest}."));
        if (options.MaxRequestBodyBytes < 1024)
            yield return new(nameof(options.MaxRequestBodyBytes), Invariant($"must be at least 1024, got {options.MaxRequestBodyBytes}."));
        if (options.AllowedOrigins.FirstOrDefault(o => o != "*" && OriginCheck.Normalize(o) is null) is string origin)
            yield return new(nameof(options.AllowedOrigins), $"'{origin}' is not an origin; give scheme://host[:port] (e.g. http://localhost:5173) or *.");
        if (options.AdminApiKey is { Length: 0 })
            yield return new(nameof(options.AdminApiKey), "must not be empty.");
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace) || options.ApiKey is { } key && string.IsNullOrWhiteSpace(key))
            yield return new(nameof(options.ApiKeys), "must not contain an empty key.");
        if (options.RequestTimeout is TimeSpan deadline && deadline <= TimeSpan.Zero)
            yield return new(nameof(options.RequestTimeout), Invariant($"must be above 0 s, got {deadline.TotalSeconds} s."));
        if (options.DrainTimeout < TimeSpan.Zero || options.DrainTimeout > LongestTimeout)
            yield return new(nameof(options.DrainTimeout), Invariant($"must be between 0 and {LongestTimeout.TotalSeconds} s (a day), got {Seconds(options.DrainTimeout)}."));
        if (options.HealthGenerateTimeout <= TimeSpan.Zero || options.HealthGenerateTimeout > LongestTimeout)
            yield return new(nameof(options.HealthGenerateTimeout), Invariant($"must be above 0 and at most {LongestTimeout.TotalSeconds} s (a day), got {Seconds(options.HealthGenerateTimeout)}."));
        if (options.HealthRecentActivity < TimeSpan.Zero)
            yield return new(nameof(options.HealthRecentActivity), Invariant($"must not be negative, got {Seconds(options.HealthRecentActivity)}."));
    }

    private static string Seconds(TimeSpan value) =>
        value == TimeSpan.MaxValue || value == TimeSpan.MinValue ? "a value out of range" : Invariant($"{value.TotalSeconds} s");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
