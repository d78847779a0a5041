namespace Dllm;

/// <summary>
/// The engine failed while generating one request (a native error in its step, say): that request ended, the others
/// went on. Thrown by <see cref="DllmEngine.GenerateAsync(GenerateRequest, CancellationToken)"/> and
/// <see cref="DllmEngine.GenerateStreamingAsync(PreparedRequest, CancellationToken)"/> for that request only. The engine logged the cause once, with the
/// request id; <see cref="Exception.Message"/> is safe to show to a client (no native frames, paths or raw error
/// text), while <see cref="Exception.InnerException"/> holds the cause for in-process callers and must not be sent on.
/// </summary>
public sealed class DllmGenerationException : Exception
{
    /// <summary>A failure of request <paramref name="requestId"/> caused by <paramref name="innerException"/>.</summary>
    public DllmGenerationException(string requestId, Exception? innerException = null)
        : base($"the engine failed while generating request {requestId}; the server log has the details.", innerException)
    {
        RequestId = requestId;
    }

    /// <summary>The id of the request that failed.</summary>
    public string RequestId { get; }
}
