namespace Dllm.AI;

/// <summary>The keys of <see cref="Microsoft.Extensions.AI.ChatResponseUpdate.AdditionalProperties"/> that <see cref="DllmChatClient"/> sets.</summary>
public static class DllmChatUpdateKeys
{
    /// <summary>
    /// With <see cref="DllmChatOptionKeys.ReturnSteps"/>: the denoising steps since the previous update, an
    /// <see cref="IReadOnlyList{T}"/> of <see cref="DenoisingStep"/> (positions within the generated tokens, which
    /// include the chat template's hidden tokens, as the engine reports them). Absent otherwise.
    /// </summary>
    public const string Steps = "dllm.steps";
}
