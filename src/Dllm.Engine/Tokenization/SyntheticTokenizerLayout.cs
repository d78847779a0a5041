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

    /// <summary>
    /// Like <see cref="Compact"/> over only the first 2048 GPT-2 tokens (the 256 bytes and the first 1792 merges):
    /// a vocabulary of about 2,070 ids, so tiny CPU test models spend little time on the vocabulary-sized work.
    /// </summary>
    Small,
}
