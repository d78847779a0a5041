namespace Dllm.Tokenization;

/// <summary>Where <see cref="SyntheticTokenizerJson"/> puts the LLaDA added tokens.</summary>
public enum SyntheticTokenizerLayout
{
    /// <summary>
    /// At the real LLaDA2 ids: 262 added tokens at 156891..157152 (<c>&lt;|startoftext|&gt;</c> 156891,
    /// <c>&lt;|endoftext|&gt;</c> 156892, <c>&lt;|mask|&gt;</c> 156895, <c>&lt;|role_end|&gt;</c> 156900, reserved
    /// tokens filling the rest); ids 50256..156890 are unused. Models use the real vocabulary size 157184.
    /// </summary>
    Realistic,

    /// <summary>
    /// The named LLaDA added tokens (no reserved fillers) right after the GPT-2 vocabulary, from 50256, in the same
    /// relative order as <see cref="Realistic"/>: every id below the vocabulary size decodes to text.
    /// </summary>
    Compact,
}
