namespace Dllm.Samples;

/// <summary>The samples' command line: <c>--model-path DIR</c> and <c>--max-new-tokens N</c>.</summary>
/// <param name="ModelPath">An HF model directory; null: a tiny synthetic demo model.</param>
/// <param name="MaxNewTokens">Most tokens to generate.</param>
internal sealed record SampleArguments(string? ModelPath, int MaxNewTokens)
{
    /// <summary>Reads <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException">An unknown option, a missing value or a bad number.</exception>
    public static SampleArguments Parse(IReadOnlyList<string> args, int defaultMaxNewTokens)
    {
        var parsed = new SampleArguments(null, defaultMaxNewTokens);
        for (int i = 0; i < args.Count; i += 2)
        {
            string value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            parsed = args[i] switch
            {
                "--model-path" => parsed with { ModelPath = value },
                "--max-new-tokens" when int.TryParse(value, out int max) && max > 0 => parsed with { MaxNewTokens = max },
                "--max-new-tokens" => throw new ArgumentException($"--max-new-tokens must be a positive integer (got '{value}')."),
                _ => throw new ArgumentException($"unknown option '{args[i]}'; use --model-path DIR and --max-new-tokens N."),
            };
        }
        return parsed;
    }
}
