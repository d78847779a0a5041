using Dllm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Tests.Model;

/// <summary>The routed pairs' layout by expert (<see cref="ExpertLayout"/>) on the CPU, the tensor-op path, against a
/// stable counting sort written out in loops (the native kernel is checked against the tensor ops on the GPU: bench's
/// graph-check, and against a host reference by src/Dllm.Cuda.Native/checks/moe_align_check.cu).</summary>
public class ExpertLayoutTests
{
    [Theory]
    [InlineData(1, 8, 256)]
    [InlineData(16, 8, 256)]
    [InlineData(33, 4, 16)]
    [InlineData(7, 1, 3)]
    public void The_layout_is_a_stable_sort_of_the_pairs_by_expert(int tokens, int k, int experts)
    {
        var random = new Random(tokens * 31 + k);
        // k distinct experts per token, most pairs on the first few experts (uneven, some experts never chosen).
        long[] chosen = [.. Enumerable.Range(0, tokens).SelectMany(_ => Enumerable.Range(0, experts).OrderBy(e => random.Next(experts) + e).Take(k).Select(e => (long)e))];
        using var scope = NewDisposeScope();
        var expertTensor = tensor(chosen, [tokens, k]);
        var layout = ExpertLayout.Of(expertTensor, arange(experts, dtype: ScalarType.Int64));

        // Stable counting sort: rows of expert 0 first, each expert's pairs in pair order.
        var rowOfPair = new long[chosen.Length];
        var tokenOfRow = new long[chosen.Length];
        var ends = new int[experts];
        int row = 0;
        for (int e = 0; e < experts; e++)
        {
            for (int p = 0; p < chosen.Length; p++)
            {
                if (chosen[p] != e)
                    continue;
                rowOfPair[p] = row;
                tokenOfRow[row] = p / k;
                row++;
            }
            ends[e] = row;
        }

        Assert.Equal(ends, layout.Ends.data<int>().ToArray());
        Assert.Equal(tokenOfRow, layout.TokenOfRow.data<long>().ToArray());
        Assert.Equal(rowOfPair, layout.RowOfPair.data<long>().ToArray());
    }
}
