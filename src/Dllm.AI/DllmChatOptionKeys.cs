namespace Dllm.AI;

/// <summary>
/// The keys of <see cref="Microsoft.Extensions.AI.ChatOptions.AdditionalProperties"/> (and of Semantic Kernel's
/// <c>PromptExecutionSettings.ExtensionData</c>) that <see cref="DllmChatClient"/> reads: the diffusion knobs (and the step report) that
/// <see cref="Microsoft.Extensions.AI.ChatOptions"/> has no property for. Numbers may be given as <see cref="int"/>,
/// <see cref="long"/>, <see cref="double"/>, <see cref="string"/> or <see cref="System.Text.Json.JsonElement"/>.
/// Other keys are ignored.
/// </summary>
public static class DllmChatOptionKeys
{
    /// <summary>Confidence threshold of the diffusion algorithm for this request (a number in [0, 1]).</summary>
    public const string Threshold = "threshold";

    /// <summary>Block size of the diffusion algorithm for this request (a positive integer).</summary>
    public const string BlockSize = "block_size";

    /// <summary>The diffusion algorithm for this request, by name (<c>LowConfidence</c>, <c>JointThreshold</c>).</summary>
    public const string Algorithm = "algorithm";

    /// <summary>
    /// Report the denoising steps (true or false; default false): each streamed <see cref="Microsoft.Extensions.AI.ChatResponseUpdate"/>
    /// then holds the steps since the previous update under <see cref="DllmChatUpdateKeys.Steps"/> of its additional
    /// properties (its text unchanged).
    /// </summary>
    public const string ReturnSteps = "return_steps";

    /// <summary><c>min_p</c> sampling for this request (a number in [0, 1]).</summary>
    public const string MinP = "min_p";
}
