using Dllm.Decoding;
using Dllm.Tokenization;

namespace Dllm.Scheduling;

/// <summary>
/// The finish rules applied after a block resolves, in SGLang's order: abort; length (<c>max_new_tokens</c>
/// reached: output cut to it); stop token ids / EOS (the first hit among the block's kept new tokens ends the
/// output right after it; EOS skipped with <c>ignore_eos</c>); stop strings on the decoded text (the output
/// ends at the token that completes the string; the string is trimmed from the text unless <c>no_stop_trim</c>).
/// The length cut is applied first, and a stop id or string inside the kept tokens then wins over length: a
/// block that crosses the limit with an EOS before it reports <c>stop</c> (SGLang would report <c>length</c>
/// and keep the tokens after the EOS, which no caller wants).
/// </summary>
internal static class BlockFinishCheck
{
    /// <summary>Appends the block's new tokens to <paramref name="output"/> applying the rules; returns the finish reason or null.</summary>
    /// <param name="output">The request's output so far; the kept new tokens are appended.</param>
    /// <param name="newTokens">The resolved block's non-prompt tokens.</param>
    /// <param name="sampling">Stop settings.</param>
    /// <param name="eosTokenId">The model's EOS id.</param>
    /// <param name="tokenizer">For stop strings.</param>
    /// <param name="cancelReason">Non-null when the request was aborted.</param>
    public static FinishReason? Apply(List<int> output, ReadOnlySpan<int> newTokens, SamplingParams sampling, int eosTokenId, LladaTokenizer tokenizer, string? cancelReason)
    {
        if (cancelReason is not null)
            return FinishReason.Aborted(cancelReason);
        int before = output.Count;
        output.AddRange(newTokens);
        bool reachedLength = output.Count >= sampling.MaxNewTokens;
        if (reachedLength)
            output.RemoveRange(sampling.MaxNewTokens, output.Count - sampling.MaxNewTokens);
        for (int i = before; i < output.Count; i++)
        {
            int id = output[i];
            if ((id == eosTokenId && !sampling.IgnoreEos) || sampling.StopTokenIds.Contains(id))
            {
                output.RemoveRange(i + 1, output.Count - i - 1);
                return FinishReason.StopToken(id);
            }
        }
        var stopString = sampling.Stop.Count > 0 ? StopString(output, before, sampling, tokenizer) : null;
        return stopString ?? (reachedLength ? FinishReason.MaxLength(sampling.MaxNewTokens) : null);
    }

    private static FinishReason? StopString(List<int> output, int before, SamplingParams sampling, LladaTokenizer tokenizer)
    {
        // The earliest token whose inclusion completes any stop string ends the output there.
        string previous = tokenizer.Decode(output.Take(before), sampling.SkipSpecialTokens);
        for (int end = before + 1; end <= output.Count; end++)
        {
            string text = tokenizer.Decode(output.Take(end), sampling.SkipSpecialTokens);
            foreach (string stop in sampling.Stop)
            {
                // Only a match that the new token completes (earlier ones were checked in earlier blocks).
                int searchFrom = Math.Max(0, previous.Length - stop.Length + 1);
                if (stop.Length > 0 && text.IndexOf(stop, searchFrom, StringComparison.Ordinal) >= 0)
                {
                    output.RemoveRange(end, output.Count - end);
                    return FinishReason.StopString(stop);
                }
            }
        }
        return null;
    }
}
