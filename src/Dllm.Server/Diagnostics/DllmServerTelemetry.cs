namespace Dllm.Server.Diagnostics;

/// <summary>The names of the server's <see cref="System.Diagnostics.Metrics.Meter"/>, <see cref="System.Diagnostics.ActivitySource"/> and instruments (see docs/operations.md).</summary>
public static class DllmServerTelemetry
{
    /// <summary>The server's meter: <c>Dllm.Server</c>.</summary>
    public const string MeterName = "Dllm.Server";

    /// <summary>The server's activity source: <c>Dllm.Server</c>; a span for the model load.</summary>
    public const string ActivitySourceName = "Dllm.Server";

    /// <summary>Gauge ({request}): HTTP generations the server is running (waiting or decoding in the engine).</summary>
    public const string ActiveRequests = "dllm.server.requests.active";

    /// <summary>Gauge: 1 while the server is ready to generate, else 0 (loading, failed, stopping).</summary>
    public const string Ready = "dllm.server.ready";

    /// <summary>Histogram (s): how long the model took to load.</summary>
    public const string LoadDuration = "dllm.server.model_load.duration";

    /// <summary>The path of the Prometheus scraping endpoint (<see cref="Hosting.DllmServerOptions.EnableMetrics"/>).</summary>
    public const string MetricsPath = "/metrics";
}
