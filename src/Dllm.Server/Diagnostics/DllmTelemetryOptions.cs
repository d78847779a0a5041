namespace Dllm.Server.Diagnostics;

/// <summary>What <c>services.AddDllmTelemetry(...)</c> exports.</summary>
public sealed class DllmTelemetryOptions
{
    /// <summary>The standard environment variable that turns OTLP export on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Serve the metrics as Prometheus text at <c>/metrics</c> (mapped by <c>MapDllmEndpoints</c>); default true.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>
    /// Export metrics and traces over OTLP, configured by the standard <c>OTEL_EXPORTER_OTLP_*</c> variables; default:
    /// on when <see cref="OtlpEndpointVariable"/> is set.
    /// </summary>
    public bool Otlp { get; set; } = IsOtlpConfigured;

    /// <summary>True when <see cref="OtlpEndpointVariable"/> is set to a value.</summary>
    public static bool IsOtlpConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable));
}
