namespace Dllm.Decoding;

/// <summary>
/// One request's sampling and stopping knobs (the HTTP API's fields; error messages use their snake_case names).
/// Temperature 0 (below <see cref="GreedyTemperature"/>) or <c>top_k = 1</c> is greedy decoding.
/// </summary>
public sealed record SamplingParams
{
    /// <summary>Temperatures below this are greedy (dividing logits by them would overflow).</summary>
    public const double GreedyTemperature = 1e-6;

    /// <summary>Greedy decoding with every other knob at its default.</summary>
    public static SamplingParams Default { get; } = new();

    /// <summary><c>max_new_tokens</c>: most tokens to generate (default 128).</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary><c>temperature</c>: 0 = greedy (default).</summary>
    public double Temperature { get; init; }

    /// <summary><c>top_p</c>: nucleus mass in (0, 1]; 1 = off (default).</summary>
    public double TopP { get; init; } = 1;

    /// <summary><c>top_k</c>: keep the k most likely tokens; -1 = off (default).</summary>
    public int TopK { get; init; } = -1;

    /// <summary><c>min_p</c>: drop tokens with p &lt; min_p × p_max, in [0, 1]; 0 = off (default).</summary>
    public double MinP { get; init; }

    /// <summary><c>seed</c>: makes sampling reproducible for this request; null = the device's global RNG.</summary>
    public long? Seed { get; init; }

    /// <summary><c>stop_token_ids</c>: token ids that end the output (kept in it).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary><c>stop</c>: strings that end the output (cut off unless <see cref="NoStopTrim"/>).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary><c>ignore_eos</c>: do not stop at the EOS token.</summary>
    public bool IgnoreEos { get; init; }

    /// <summary><c>skip_special_tokens</c>: leave special tokens out of the decoded text (default true).</summary>
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary><c>no_stop_trim</c>: keep a matched stop string at the end of the output.</summary>
    public bool NoStopTrim { get; init; }

    /// <summary>True when tokens are the argmax (temperature 0 or <c>top_k = 1</c>); confidence is then the argmax probability.</summary>
    public bool IsGreedy => Temperature < GreedyTemperature || TopK == 1;

    /// <summary>
    /// Checks every field in the range the engine computes in: temperatures and probabilities are float32 on the
    /// device, so <c>temperature</c> must be at most <see cref="float.MaxValue"/>, <c>top_p</c> must stay above 0
    /// and a non-zero <c>min_p</c> must not round to 0 as float32; counts are int32 already.
    /// </summary>
    /// <exception cref="ArgumentException">A field is out of range; the message and <see cref="ArgumentException.ParamName"/> name it.</exception>
    public void Validate()
    {
        if (MaxNewTokens < 0)
            throw Invalid("max_new_tokens", $"must be >= 0, got {MaxNewTokens}");
        if (!double.IsFinite(Temperature) || Temperature < 0 || Temperature > float.MaxValue)
            throw Invalid("temperature", $"must be a finite number >= 0 and at most {float.MaxValue} (the float32 range), got {Temperature}");
        if (!(TopP > 0 && TopP <= 1))
            throw Invalid("top_p", $"must be in (0, 1], got {TopP}");
        if ((float)TopP == 0)
            throw Invalid("top_p", $"must be at least {float.Epsilon} (the smallest float32 above 0), got {TopP}");
        if (TopK != -1 && TopK < 1)
            throw Invalid("top_k", $"must be -1 (off) or >= 1, got {TopK}");
        if (!(MinP >= 0 && MinP <= 1))
            throw Invalid("min_p", $"must be in [0, 1], got {MinP}");
        if (MinP > 0 && (float)MinP == 0)
            throw Invalid("min_p", $"must be 0 or at least {float.Epsilon} (the smallest float32 above 0), got {MinP}");
        if (StopTokenIds is null || StopTokenIds.Any(id => id < 0))
            throw Invalid("stop_token_ids", $"must be a list of token ids >= 0");
        if (Stop is null || Stop.Any(string.IsNullOrEmpty))
            throw Invalid("stop", $"must be a list of non-empty strings");
    }

    private static ArgumentException Invalid(string field, FormattableString rule) =>
        new($"{field} {FormattableString.Invariant(rule)}.", field);
}
