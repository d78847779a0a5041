namespace Dllm.AI;

/// <summary>Settings of a <see cref="DllmChatClient"/> itself (the engine has its own, <see cref="DllmEngineOptions"/>).</summary>
public sealed class DllmChatClientOptions
{
    /// <summary>
    /// Most tokens to generate when <see cref="Microsoft.Extensions.AI.ChatOptions.MaxOutputTokens"/> is not set;
    /// null: the engine's default (<see cref="Decoding.SamplingParams.MaxNewTokens"/>).
    /// </summary>
    public int? DefaultMaxOutputTokens { get; init; }
}
