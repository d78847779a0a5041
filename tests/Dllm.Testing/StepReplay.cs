namespace Dllm.Testing;

/// <summary>
/// Replays a request's denoising steps (<see cref="GenerateRequest.ReturnSteps"/>) and checks them against its final
/// output: steps numbered 1..N without a gap; every block slot committed exactly once (edits only into committed
/// slots), so the output positions are each committed once; each step's writes inside one block; masks_left the
/// block's slots less those committed so far; the replayed ids, cut to the output's length, equal the output ids.
/// Throws <see cref="InvalidOperationException"/> describing the first mismatch.
/// </summary>
public static class StepReplay
{
    /// <summary>Checks <paramref name="steps"/> against <paramref name="outputIds"/>.</summary>
    /// <param name="steps">All the request's steps, in order.</param>
    /// <param name="outputIds">The final output ids.</param>
    /// <param name="promptTokens">The prompt's length (the first block's leading slots are the prompt's tail).</param>
    /// <param name="blockSize">The block size.</param>
    /// <param name="denoisingSteps">The final update's denoising step count.</param>
    /// <returns>The number of tokens the steps committed (the output's length rounded up to the last block).</returns>
    public static int Verify(IReadOnlyList<DenoisingStep> steps, IReadOnlyList<int> outputIds, int promptTokens, int blockSize, int denoisingSteps)
    {
        Check(steps.Count == denoisingSteps, $"{steps.Count} step records for {denoisingSteps} denoising steps");
        var ids = new Dictionary<int, int>();
        var committedInBlock = new Dictionary<int, int>();
        int currentBlock = -1;
        for (int s = 0; s < steps.Count; s++)
        {
            var step = steps[s];
            Check(step.Step == s + 1, $"record {s} is numbered {step.Step}");
            var blocks = step.Committed.Concat(step.Edited).Select(t => (t.Position + promptTokens) / blockSize).Distinct().ToList();
            Check(blocks.Count <= 1, $"step {step.Step} writes into blocks {string.Join(", ", blocks)}");
            if (blocks.Count == 1)
            {
                Check(blocks[0] >= currentBlock, $"step {step.Step} goes back to block {blocks[0]} from {currentBlock}");
                currentBlock = blocks[0];
            }
            foreach (var token in step.Committed)
            {
                Check(token.Position >= 0, $"step {step.Step} commits position {token.Position}");
                Check(ids.TryAdd(token.Position, token.TokenId), $"step {step.Step} commits position {token.Position} a second time");
                committedInBlock[currentBlock] = committedInBlock.GetValueOrDefault(currentBlock) + 1;
            }
            foreach (var token in step.Edited)
            {
                Check(ids.ContainsKey(token.Position), $"step {step.Step} edits position {token.Position}, never committed");
                ids[token.Position] = token.TokenId;
            }
            if (currentBlock >= 0)
            {
                int slots = currentBlock == promptTokens / blockSize ? blockSize - promptTokens % blockSize : blockSize;
                int left = slots - committedInBlock.GetValueOrDefault(currentBlock);
                Check(step.MasksLeft == left, $"step {step.Step}: masks_left {step.MasksLeft}, the replay leaves {left}");
            }
        }
        for (int p = 0; p < outputIds.Count; p++)
        {
            Check(ids.TryGetValue(p, out int id), $"output position {p} was never committed");
            Check(id == outputIds[p], $"output position {p}: the steps give {id}, the output has {outputIds[p]}");
        }
        Check(ids.Count == 0 || ids.Keys.Max() == ids.Count - 1, $"the steps commit {ids.Count} positions up to {(ids.Count == 0 ? -1 : ids.Keys.Max())}");
        return ids.Count;
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
            throw new InvalidOperationException(message);
    }
}
