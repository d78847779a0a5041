namespace Dllm.AI;

/// <summary>Settings of a <see cref="DllmChatClient"/> itself (the engine has its own, <see cref="DllmEngineOptions"/>).</summary>
public sealed class DllmChatClientOptions
{
    /// <summary>
    /// Most tokens to generate when <see cref="Microsoft.Extensions.AI.ChatOptions.MaxOutputTokens"/> is not set;
    /// null: no limit but the context, the answer runs to its end of turn (as OpenAI's chat completions without
    /// <c>max_tokens</c>, and the <c>/v1/chat/completions</c> route).
    /// </summary>
    public int? DefaultMaxOutputTokens { get; init; }
}
