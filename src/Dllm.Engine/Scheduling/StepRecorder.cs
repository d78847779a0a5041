using Dllm.Decoding;
using Dllm.Tokenization;

namespace Dllm.Scheduling;

/// <summary>
/// Records the denoising steps of one request that asked for them (<see cref="GenerateRequest.ReturnSteps"/>): before a
/// step it copies the block's B ids (host memory the scheduler already has), after it compares them with the block and
/// keeps one <see cref="DenoisingStep"/> until the next update takes the steps (<see cref="Drain"/>). Needs nothing
/// from the device: the confidences are the step's proposals, already on the host. Scheduler thread only.
/// </summary>
internal sealed class StepRecorder(LladaTokenizer tokenizer)
{
    private List<DenoisingStep> _pending = [];
    private int[] _before = [];

    /// <summary>Remembers the block as it is before a step.</summary>
    public void Before(BlockState block)
    {
        if (_before.Length != block.Tokens.Length)
            _before = new int[block.Tokens.Length];
        block.Tokens.CopyTo(_before, 0);
    }

    /// <summary>Records the step numbered <paramref name="step"/> that changed the block from what <see cref="Before"/> saw.</summary>
    /// <param name="step">The request's step number, from 1.</param>
    /// <param name="block">The block after the step.</param>
    /// <param name="outputOffset">The output position of the block's slot 0 (its absolute start less the prompt length).</param>
    /// <param name="confidences">The step's confidences, one per slot.</param>
    public void After(int step, BlockState block, int outputOffset, ReadOnlySpan<float> confidences)
    {
        List<StepToken> committed = [], edited = [];
        for (int i = block.FixedCount; i < block.Tokens.Length; i++)
        {
            int id = block.Tokens[i];
            if (id == _before[i])
                continue;
            var token = new StepToken(outputOffset + i, id, tokenizer.Decode([id]), confidences[i]);
            (_before[i] == block.MaskTokenId ? committed : edited).Add(token);
        }
        _pending.Add(new DenoisingStep { Step = step, Committed = committed, Edited = edited, MasksLeft = block.MaskedCount });
    }

    /// <summary>Forgets the steps not taken yet (those of a block that is discarded and denoised again from masks).</summary>
    public void Discard() => _pending = [];

    /// <summary>The steps recorded since the last call.</summary>
    public IReadOnlyList<DenoisingStep> Drain()
    {
        var steps = _pending;
        _pending = [];
        return steps;
    }
}
