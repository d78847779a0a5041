using System.Text;
using Dllm.Tokenization;

namespace Dllm.Training.Tokenizer;

/// <summary>
/// Writes a trained <see cref="BpeVocabulary"/> as a Hugging Face <c>tokenizer.json</c> and <c>tokenizer_config.json</c>
/// in the LLaDA form (the vocabulary's pre-tokenizer split, ByteLevel decoder), the LLaDA added tokens right after the
/// vocabulary. Their ids (mask, EOS, role end…) are this tokenizer's own: read them from the files.
/// </summary>
public static class DemoTokenizerFiles
{
    /// <summary>Writes both files into <paramref name="directory"/> (created) and returns the tokenizer loaded back.</summary>
    public static LladaTokenizer Write(string directory, BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Directory.CreateDirectory(directory);
        var added = SpecialTokens.For(vocabulary.Tokens.Count);
        string path = Path.Combine(directory, SyntheticTokenizerJson.TokenizerFileName);
        File.WriteAllText(path, SyntheticTokenizerJson.CreateTokenizerJson(added, vocabulary.Tokens, vocabulary.Merges, vocabulary.PreTokenizerPattern), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(directory, SyntheticTokenizerJson.TokenizerConfigFileName), SyntheticTokenizerJson.CreateTokenizerConfigJson(added), new UTF8Encoding(false));
        return LladaTokenizer.FromFile(path);
    }
}
