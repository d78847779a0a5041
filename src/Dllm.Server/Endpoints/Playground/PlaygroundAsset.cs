namespace Dllm.Server.Endpoints.Playground;

/// <summary>One embedded playground file: its <c>Content-Type</c> and bytes.</summary>
internal sealed record PlaygroundAsset(string ContentType, byte[] Content);
