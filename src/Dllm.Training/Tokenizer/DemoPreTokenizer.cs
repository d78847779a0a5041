using Dllm.Tokenization;

namespace Dllm.Training.Tokenizer;

/// <summary>
/// The pre-tokenizer split of the demo tokenizer: LLaDA2's pattern, with numbers cut into pieces of at most
/// <c>digits</c> digits. LLaDA2 itself cuts every digit apart (1); with 3, every number below 1,000 is one piece, so
/// BPE can give each frequent number one id, and counting writes one token per number and stops where the token it
/// just wrote is the prompt's.
/// </summary>
public static class DemoPreTokenizer
{
    private const string DigitAlternative = @"|\p{N}|";

    /// <summary>The widest number piece: 3 digits, every number below 1,000.</summary>
    public const int MaxDigits = 3;

    /// <summary>The split pattern (Hugging Face dialect) with number pieces of up to <paramref name="digits"/> digits.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="digits"/> is not 1, 2 or 3.</exception>
    public static string Pattern(int digits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, MaxDigits);
        if (digits == 1)
            return LladaTokens.PreTokenizerPattern;
        return LladaTokens.PreTokenizerPattern.Replace(DigitAlternative, $@"|\p{{N}}{{1,{digits}}}|", StringComparison.Ordinal);
    }
}
