using Dllm.Decoding;
using Dllm.Tests.Infrastructure;
using TorchSharp;

namespace Dllm.Tests.Decoding;

public class TokenSamplerTests
{
    private static readonly TokenSampler Sampler = new();

    /// <summary>Token probabilities of the filter tests: [0.5, 0.3, 0.15, 0.05].</summary>
    private static readonly double[] Probabilities = [0.5, 0.3, 0.15, 0.05];

    private static SampledProposals Propose(torch.Tensor logits, params (SamplingParams Settings, torch.Generator? Generator)[] rows) =>
        Sampler.Propose(logits, rows.Select(r => r.Settings).ToArray(), rows.Select(r => r.Generator).ToArray());

    /// <summary>[1, positions, V] logits that repeat <paramref name="row"/> at every position.</summary>
    private static torch.Tensor Repeated(double[] row, int positions) =>
        torch.tensor(row.Select(v => (float)v).ToArray()).reshape(1, 1, row.Length).expand(1, positions, row.Length).contiguous();

    private static torch.Tensor LogProbabilities(int positions) => Repeated(Probabilities.Select(p => Math.Log(p)).ToArray(), positions);

    private static torch.Tensor RandomLogits(int rows, int positions, int vocab, int seed)
    {
        var random = new Random(seed);
        float[] values = Enumerable.Range(0, rows * positions * vocab).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        return torch.tensor(values).reshape(rows, positions, vocab);
    }

    private static double[] Frequencies(int[] tokens, int vocab) =>
        Enumerable.Range(0, vocab).Select(t => tokens.Count(x => x == t) / (double)tokens.Length).ToArray();

    [Fact]
    public void Greedy_proposes_the_argmax_with_its_exact_softmax_probability()
    {
        Torch.EnsureLoaded();
        double[][] rows = [[1, 3, 0.5, -2], [0, 0, 0, 7], [-1, -1, -0.5, -3], [2.5, 2.4, 0, 0]];
        using var logits = torch.tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray()).reshape(2, 2, 4);

        var proposals = Propose(logits, (SamplingParams.Default, null), (SamplingParams.Default, null));

        Assert.Equal([1, 3, 2, 0], proposals.Tokens);
        for (int i = 0; i < rows.Length; i++)
        {
            double max = rows[i].Max();
            double expected = 1 / rows[i].Sum(v => Math.Exp(v - max));
            Assert.Equal(expected, proposals.Confidences[i], 6);
        }
        Assert.Equal([2, 0], proposals.TokensOf(1).ToArray());
    }

    [Fact]
    public void Bf16_logits_give_exactly_the_proposals_of_their_fp32_widening()
    {
        Torch.EnsureLoaded();
        using var bf16 = RandomLogits(3, 8, 50, seed: 5).mul_(3).to(torch.ScalarType.BFloat16);
        using var widened = bf16.to(torch.ScalarType.Float32);
        var sampled = new SamplingParams { Temperature = 0.7, TopP = 0.9, Seed = 11 };
        // Every row greedy (the greedy path alone), then a seeded sampled row among greedy ones.
        foreach (var middle in new[] { SamplingParams.Default, sampled })
        {
            SampledProposals Run(torch.Tensor logits) =>
                Propose(logits, (SamplingParams.Default, null), (middle, TokenSampler.CreateGenerator(middle)), (SamplingParams.Default, null));

            var expected = Run(widened);
            var actual = Run(bf16);

            Assert.Equal(expected.Tokens, actual.Tokens);
            Assert.Equal(expected.Confidences, actual.Confidences);
        }
    }

    [Fact]
    public void Top_k_one_sampling_equals_greedy()
    {
        Torch.EnsureLoaded();
        using var logits = RandomLogits(2, 8, 50, seed: 3);
        var sampled = new SamplingParams { Temperature = 0.8, TopK = 1, Seed = 1 };

        var greedy = Propose(logits, (SamplingParams.Default, null), (SamplingParams.Default, null));
        var topK1 = Propose(logits, (sampled, TokenSampler.CreateGenerator(sampled)), (sampled, null));

        Assert.Equal(greedy.Tokens, topK1.Tokens);
        Assert.Equal(greedy.Confidences, topK1.Confidences);
    }

    [Fact]
    public void Greedy_rows_are_unchanged_by_sampled_rows_in_the_same_batch()
    {
        Torch.EnsureLoaded();
        using var logits = RandomLogits(3, 8, 50, seed: 4);
        var sampled = new SamplingParams { Temperature = 1, Seed = 9 };

        var allGreedy = Propose(logits, (SamplingParams.Default, null), (SamplingParams.Default, null), (SamplingParams.Default, null));
        var mixed = Propose(logits, (SamplingParams.Default, null), (sampled, TokenSampler.CreateGenerator(sampled)), (SamplingParams.Default, null));

        Assert.Equal(allGreedy.TokensOf(0).ToArray(), mixed.TokensOf(0).ToArray());
        Assert.Equal(allGreedy.TokensOf(2).ToArray(), mixed.TokensOf(2).ToArray());
        Assert.Equal(allGreedy.ConfidencesOf(2).ToArray(), mixed.ConfidencesOf(2).ToArray());
    }

    public static TheoryData<SamplingParams, double[]> Filters => new()
    {
        // No filter: the distribution itself.
        { new SamplingParams { Temperature = 1, Seed = 11 }, [0.5, 0.3, 0.15, 0.05] },
        // top_k 2 keeps {0, 1}, renormalised over 0.8.
        { new SamplingParams { Temperature = 1, TopK = 2, Seed = 12 }, [0.625, 0.375, 0, 0] },
        // top_p 0.7: the mass before token 2 is 0.8 >= 0.7, so {0, 1} remain.
        { new SamplingParams { Temperature = 1, TopP = 0.7, Seed = 13 }, [0.625, 0.375, 0, 0] },
        // top_p 0.4: only the top token.
        { new SamplingParams { Temperature = 1, TopP = 0.4, Seed = 14 }, [1, 0, 0, 0] },
        // min_p 0.25: p < 0.125 dropped, {0, 1, 2} remain over 0.95.
        { new SamplingParams { Temperature = 1, MinP = 0.25, Seed = 15 }, [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0] },
        // temperature 2: p ∝ sqrt(p), then top_k 3.
        { new SamplingParams { Temperature = 2, TopK = 3, Seed = 16 }, Tempered(2, keep: 3) },
    };

    private static double[] Tempered(double temperature, int keep)
    {
        double[] weights = Probabilities.Select((p, i) => i < keep ? Math.Pow(p, 1 / temperature) : 0).ToArray();
        return weights.Select(w => w / weights.Sum()).ToArray();
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public void Sampling_draws_only_kept_tokens_with_their_renormalised_frequencies(SamplingParams settings, double[] expected)
    {
        Torch.EnsureLoaded();
        const int draws = 20000;
        using var logits = LogProbabilities(draws);

        var proposals = Propose(logits, (settings, TokenSampler.CreateGenerator(settings)));

        double[] frequencies = Frequencies(proposals.Tokens, 4);
        for (int t = 0; t < 4; t++)
        {
            if (expected[t] == 0)
                Assert.Equal(0, frequencies[t]);
            else
                Assert.InRange(frequencies[t], expected[t] - 0.02, expected[t] + 0.02);
        }
        for (int i = 0; i < draws; i++)
            Assert.Equal(expected[proposals.Tokens[i]], proposals.Confidences[i], 5);
    }

    [Fact]
    public void The_same_seed_gives_the_same_tokens_and_different_seeds_differ()
    {
        Torch.EnsureLoaded();
        using var logits = RandomLogits(1, 64, 50, seed: 5);
        SamplingParams Seeded(long seed) => new() { Temperature = 1, TopP = 0.95, Seed = seed };
        int[] Draw(long seed) => Propose(logits, (Seeded(seed), TokenSampler.CreateGenerator(Seeded(seed)))).Tokens;

        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
    }

    [Fact]
    public void A_seeded_request_draws_the_same_tokens_whatever_else_is_in_the_batch()
    {
        Torch.EnsureLoaded();
        using var batch = RandomLogits(2, 32, 50, seed: 6);
        using var alone = batch[1].unsqueeze(0);
        var seeded = new SamplingParams { Temperature = 0.9, Seed = 21 };
        var other = new SamplingParams { Temperature = 1.2 };

        var inBatch = Propose(batch, (other, null), (seeded, TokenSampler.CreateGenerator(seeded)));
        var single = Propose(alone, (seeded, TokenSampler.CreateGenerator(seeded)));

        Assert.Equal(single.Tokens, inBatch.TokensOf(1).ToArray());
        Assert.Equal(single.Confidences, inBatch.ConfidencesOf(1).ToArray());
    }

    [Fact]
    public void A_generator_continues_its_stream_across_steps()
    {
        Torch.EnsureLoaded();
        using var logits = RandomLogits(1, 64, 50, seed: 7);
        var seeded = new SamplingParams { Temperature = 1, Seed = 3 };
        var generator = TokenSampler.CreateGenerator(seeded);

        int[] first = Propose(logits, (seeded, generator)).Tokens;
        int[] second = Propose(logits, (seeded, generator)).Tokens;

        Assert.NotEqual(first, second);
        Assert.Null(TokenSampler.CreateGenerator(SamplingParams.Default));
    }

    [Fact]
    public void Unseeded_sampling_uses_the_global_generator_and_keeps_the_filters()
    {
        Torch.EnsureLoaded();
        using var logits = LogProbabilities(2000);
        var proposals = Propose(logits, (new SamplingParams { Temperature = 1, TopK = 2 }, null));
        Assert.All(proposals.Tokens, t => Assert.InRange(t, 0, 1));
        Assert.Contains(0, proposals.Tokens);
        Assert.Contains(1, proposals.Tokens);
    }

    [Fact]
    public void Rejects_mismatched_inputs()
    {
        Torch.EnsureLoaded();
        using var logits = torch.zeros(2, 4, 8);
        using var doubles = torch.zeros([1, 4, 8], torch.float64);
        Assert.Throws<ArgumentException>(() => Sampler.Propose(logits, [SamplingParams.Default], [null, null]));
        Assert.Throws<ArgumentException>(() => Sampler.Propose(doubles, [SamplingParams.Default], [null]));
    }
}
