namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>The <c>id</c>, <c>created</c> and <c>model</c> every object of one OpenAI response repeats.</summary>
internal sealed record ResponseIdentity(string Id, long Created, string Model)
{
    /// <summary>The identity of a response to the request <paramref name="requestId"/>.</summary>
    public static ResponseIdentity For(string prefix, string requestId, string model) =>
        new($"{prefix}-{requestId}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model);
}
