using System.Diagnostics.CodeAnalysis;

namespace Dllm.AI.Hosting;

/// <summary>
/// What <c>services.AddDllmChatClient(...)</c> binds from configuration (a section such as <c>"Dllm"</c>) and/or a
/// callback: every engine option (these settings are <see cref="DllmEngineOptions"/>, used when this registration is the
/// one that registers the shared engine) and the client's own. Checked when the application starts, the engine's fields
/// by <see cref="DllmEngineOptionsValidator"/>; each bad field gets its own message.
/// </summary>
public sealed record DllmChatClientSettings : DllmEngineOptions
{
    /// <summary>Settings to be bound or configured; <see cref="DllmEngineOptions.ModelPath"/> starts empty (and is required at start).</summary>
    [SetsRequiredMembers]
    public DllmChatClientSettings() => ModelPath = "";

    /// <summary>Most tokens to generate when a request does not say; null: to the end of the turn (at most the context).</summary>
    public int? DefaultMaxOutputTokens { get; set; }

    /// <summary>The chat client options these settings describe.</summary>
    public DllmChatClientOptions ToClientOptions() => new() { DefaultMaxOutputTokens = DefaultMaxOutputTokens };
}
