namespace Dllm.Tokenization;

/// <summary>The GPT-2 BPE model in tokenizer.json form: byte-level token spellings by id (= GPT-2 id) and the derived merges.</summary>
internal static class Gpt2ByteLevelModel
{
    private static readonly Lazy<(string[] Tokens, string[] Merges)> Model = new(Build);

    /// <summary>Byte-level spelling of every token, indexed by id (0..50255).</summary>
    public static IReadOnlyList<string> Tokens => Model.Value.Tokens;

    /// <summary>The merges as <c>"left right"</c> in priority order.</summary>
    public static IReadOnlyList<string> Merges => Model.Value.Merges;

    private static (string[], string[]) Build()
    {
        IReadOnlyList<byte[]> bytes = Gpt2Ranks.TokenBytes;
        string[] tokens = [.. bytes.Select(b => ByteLevelAlphabet.Encode(b))];
        string[] merges = [.. BpeMergeDerivation.Derive(bytes).Select(m => $"{tokens[m.Left]} {tokens[m.Right]}")];
        return (tokens, merges);
    }
}
