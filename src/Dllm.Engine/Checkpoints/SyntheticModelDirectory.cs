using Dllm.Model;
using Dllm.Tokenization;

namespace Dllm.Checkpoints;

/// <summary>
/// Writes a complete HF-layout model directory of any LLaDA2 shape with seeded random weights: config.json,
/// safetensors (sharded with an index when large), tokenizer.json and tokenizer_config.json. The config's
/// vocabulary and special ids are taken from the tokenizer, so every id the model emits decodes.
/// </summary>
public static class SyntheticModelDirectory
{
    /// <summary>Writes the directory and returns the config that was written.</summary>
    /// <param name="directory">Target directory (created).</param>
    /// <param name="shape">The model shape; its vocabulary and special ids are replaced by the tokenizer's.</param>
    /// <param name="layout"><see cref="SyntheticTokenizerLayout.Realistic"/> (real special-token ids, vocab 157184)
    /// or <see cref="SyntheticTokenizerLayout.Compact"/> (special tokens right after the GPT-2 vocabulary).</param>
    /// <param name="options">Seed, dtype, shard size, progress.</param>
    public static LLaDA2Config Write(string directory, LLaDA2Config shape, SyntheticTokenizerLayout layout, SyntheticCheckpointOptions? options = null)
    {
        var tokenizer = SyntheticTokenizerJson.Describe(layout);
        options ??= new SyntheticCheckpointOptions();
        var config = shape.WithTokenizer(tokenizer.ModelVocabularySize, tokenizer.MaskTokenId, tokenizer.EosTokenId);
        var previousHook = options.WriteExtraFiles;
        SyntheticCheckpointWriter.Write(directory, config, options with
        {
            WriteExtraFiles = dir =>
            {
                SyntheticTokenizerJson.WriteTo(dir, layout);
                previousHook?.Invoke(dir);
            },
        });
        return config;
    }
}
