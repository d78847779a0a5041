using Dllm.Tokenization;

namespace Dllm.Scheduling;

/// <summary>
/// What a resolved block adds to its request's output: the finish rules applied to its tokens
/// (<see cref="BlockFinishCheck"/>: abort, length, stop ids/EOS, stop strings), the ids kept, and the text they add
/// (streamed detokenizing, flushed at the end; a matched stop string trimmed unless <c>no_stop_trim</c>).
/// </summary>
/// <param name="Finish">Why the request ends with this block, or null when it goes on.</param>
/// <param name="NewIds">The ids the block adds to the output.</param>
/// <param name="Delta">The text they add.</param>
/// <param name="Text">The request's whole text after the block.</param>
internal sealed record BlockOutput(FinishReason? Finish, int[] NewIds, string Delta, string Text)
{
    /// <summary>Applies the request's resolved block (<see cref="EngineRequest.Block"/>) to its output ids and detokenizer.</summary>
    public static BlockOutput Apply(EngineRequest request, int eosTokenId, LladaTokenizer tokenizer)
    {
        var block = request.Block!;
        int before = request.OutputIds.Count;
        var finish = BlockFinishCheck.Apply(request.OutputIds, block.Tokens.AsSpan(block.FixedCount), request.Sampling, eosTokenId, tokenizer, request.StopReason);
        var newIds = request.OutputIds.Skip(before).ToArray();
        string delta = request.Detokenizer.Append(newIds);
        if (finish is not null)
            delta += request.Detokenizer.Flush();
        string text = request.Text + delta;
        if (finish is { MatchedString: string stop } && !request.Sampling.NoStopTrim)
        {
            int at = text.IndexOf(stop, Math.Max(0, request.Text.Length - stop.Length + 1), StringComparison.Ordinal);
            if (at >= 0)
                text = text[..at];
            delta = text.Length > request.Text.Length ? text[request.Text.Length..] : "";
        }
        return new BlockOutput(finish, newIds, delta, text);
    }
}
