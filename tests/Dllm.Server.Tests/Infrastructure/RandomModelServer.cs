using Dllm.Testing;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// A server over the random tiny model, which commits one token per denoising step: long generations take seconds,
/// so tests can act while a request runs (abort, disconnect, shutdown).
/// </summary>
internal static class RandomModelServer
{
    /// <summary>A request that runs for seconds on the random model.</summary>
    public const string LongRequest = """{"text": "tell a long story", "rid": "RID", "stream": STREAM, "sampling_params": {"max_new_tokens": 1800, "ignore_eos": true}}""";

    public static Task<DllmTestServer> StartAsync(Action<Dllm.Server.Hosting.DllmServerOptions>? configure = null) =>
        DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 4) with { ContextLength = 2048 }, configure);

    public static string Long(string rid, bool stream) => LongRequest.Replace("RID", rid).Replace("STREAM", stream ? "true" : "false");
}
