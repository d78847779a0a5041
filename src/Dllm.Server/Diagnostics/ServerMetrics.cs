using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dllm.Server.Hosting;

namespace Dllm.Server.Diagnostics;

/// <summary>The server's instruments (a DI singleton over the host's <see cref="IMeterFactory"/>) and its activity source.</summary>
internal sealed class ServerMetrics
{
    /// <summary>The server's activity source.</summary>
    public static readonly ActivitySource Source = new(DllmServerTelemetry.ActivitySourceName, typeof(ServerMetrics).Assembly.GetName().Version?.ToString());

    private readonly Histogram<double> _loadDuration;

    public ServerMetrics(IMeterFactory meterFactory, RequestTracker tracker, DllmServerState state)
    {
        var meter = meterFactory.Create(DllmServerTelemetry.MeterName);
        meter.CreateObservableGauge(DllmServerTelemetry.ActiveRequests, () => tracker.Count, "{request}", "HTTP generations running or waiting.");
        meter.CreateObservableGauge(DllmServerTelemetry.Ready, () => state.Status == DllmServerStatus.Ready ? 1 : 0, description: "1 while the server is ready to generate.");
        _loadDuration = meter.CreateHistogram<double>(DllmServerTelemetry.LoadDuration, "s", "How long the model took to load.");
    }

    /// <summary>Records a finished load; <paramref name="error"/> when it failed.</summary>
    public void RecordLoad(TimeSpan duration, Exception? error)
    {
        if (error is null)
            _loadDuration.Record(duration.TotalSeconds);
        else
            _loadDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("error.type", error.GetType().FullName));
    }
}
