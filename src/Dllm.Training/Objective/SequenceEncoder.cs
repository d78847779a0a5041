using Dllm.Tokenization;
using Dllm.Training.Data;

namespace Dllm.Training.Objective;

/// <summary>
/// Encodes examples for block-diffusion SFT: the prompt as the engine encodes a chat prompt, the response (answer +
/// <c>&lt;|role_end|&gt;</c>) with its control tokens as single ids, then <c>&lt;|endoftext|&gt;</c> up to the end of the
/// block (blocks sit at absolute positions, as in decoding), so the model learns to fill a finished block with EOS.
/// </summary>
public sealed class SequenceEncoder(LladaTokenizer tokenizer, int blockSize)
{
    /// <summary>The example's sequence.</summary>
    public TrainingSequence Encode(DemoExample example)
    {
        int[] prompt = example.Prompt.Encode(tokenizer);
        int[] response = tokenizer.Encode(example.Response);
        int length = (prompt.Length + response.Length + blockSize - 1) / blockSize * blockSize;
        var tokens = new int[length];
        prompt.CopyTo(tokens, 0);
        response.CopyTo(tokens, prompt.Length);
        Array.Fill(tokens, tokenizer.EosTokenId, prompt.Length + response.Length, length - prompt.Length - response.Length);
        return new TrainingSequence(example.Task, tokens, prompt.Length);
    }
}
