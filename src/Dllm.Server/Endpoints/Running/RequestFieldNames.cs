namespace Dllm.Server.Endpoints.Running;

/// <summary>
/// How a route spells the engine's request fields in its 400s. The engine's validation errors name its own fields
/// (<c>max_new_tokens</c>, <c>input_ids</c>, <c>temperature</c>); each route answers with the field of its request
/// body (<c>max_tokens</c> or <c>max_completion_tokens</c> on chat, <c>sampling_params.max_new_tokens</c> on
/// <c>/generate</c>), and in a batch with the prompt's index (<c>prompt[2]</c>, <c>sampling_params[2].top_p</c>).
/// </summary>
internal sealed class RequestFieldNames
{
    private static readonly IReadOnlyDictionary<string, string> Same = new Dictionary<string, string>(StringComparer.Ordinal);

    private readonly string _promptField;
    private readonly IReadOnlyDictionary<string, string> _samplingFields;
    private readonly string? _samplingObject;
    private readonly bool _samplingPerPrompt;

    private RequestFieldNames(string promptField, IReadOnlyDictionary<string, string> samplingFields, string? samplingObject, bool samplingPerPrompt, bool isBatch)
    {
        _promptField = promptField;
        _samplingFields = samplingFields;
        _samplingObject = samplingObject;
        _samplingPerPrompt = samplingPerPrompt;
        IsBatch = isBatch;
    }

    /// <summary>Whether the request holds a list of prompts (errors then say which one).</summary>
    public bool IsBatch { get; }

    /// <summary><c>/generate</c>: <c>text</c> or <c>input_ids</c>, and the fields of <c>sampling_params</c> (an object, or a list with one per prompt).</summary>
    public static RequestFieldNames Generate(bool inputIds, bool isBatch, bool samplingPerPrompt) =>
        new(inputIds ? "input_ids" : "text", Same, "sampling_params", samplingPerPrompt, isBatch);

    /// <summary><c>/v1/completions</c>: <c>prompt</c> (one or a list), top-level OpenAI sampling fields.</summary>
    public static RequestFieldNames Completions(bool isBatch) =>
        new("prompt", OpenAi("max_tokens"), null, samplingPerPrompt: false, isBatch);

    /// <summary><c>/v1/chat/completions</c>: <c>messages</c>, and the token limit under the name the request used.</summary>
    public static RequestFieldNames Chat(string maxTokensField) =>
        new("messages", OpenAi(maxTokensField), null, samplingPerPrompt: false, isBatch: false);

    /// <summary>The route's name for the engine's <paramref name="engineField"/> of the prompt at <paramref name="index"/>.</summary>
    public string Name(string engineField, int index)
    {
        if (engineField is "input_ids" or "text")
            return IsBatch ? $"{_promptField}[{index}]" : _promptField;
        string field = _samplingFields.GetValueOrDefault(engineField, engineField);
        if (_samplingObject is null)
            return field;
        return _samplingPerPrompt ? $"{_samplingObject}[{index}].{field}" : $"{_samplingObject}.{field}";
    }

    private static Dictionary<string, string> OpenAi(string maxTokensField) => new(StringComparer.Ordinal)
    {
        ["max_new_tokens"] = maxTokensField,
        ["sampling_seed"] = "seed",
    };
}
