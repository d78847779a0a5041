using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dllm.Testing;

/// <summary>A logger factory whose loggers keep every entry and throw on the given event ids: a failing log sink.</summary>
public sealed class FailingLogs(params int[] failOn) : ILoggerFactory, ILogger
{
    /// <summary>Every entry written, in order.</summary>
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Entries { get; } = new();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => this;

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
        if (failOn.Contains(eventId.Id))
            throw new IOException($"the log sink failed on event {eventId.Id}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
