using Dllm.Model;
using Dllm.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;
using R = Dllm.Tests.Reference.ReferenceLLaDA2;

namespace Dllm.Tests.Model;

public class RmsNormTests
{
    [Fact]
    public void AddForward_sums_the_residual_and_normalises_the_sum_as_the_float64_reference_does()
    {
        Torch.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(11, CPU);
        var residual = randn([3, 8], generator: generator);
        var delta = randn([3, 8], generator: generator);
        var weight = rand([8], generator: generator).add_(0.5);
        using var norm = new RmsNorm(weight.clone(), 1e-6);

        float expectedFirst = residual[0, 0].ToSingle();
        var (sum, normed) = norm.AddForward(residual, delta);

        double[] w = weight.data<float>().Select(v => (double)v).ToArray();
        for (int t = 0; t < 3; t++)
        {
            double[] expectedSum = Enumerable.Range(0, 8).Select(i => (double)residual[t, i].ToSingle() + delta[t, i].ToSingle()).ToArray();
            double[] expected = R.RmsNorm(expectedSum, w, 1e-6);
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(expectedSum[i], sum[t, i].ToSingle(), 1e-6);
                Assert.Equal(expected[i], normed[t, i].ToSingle(), 1e-5);
            }
        }
        // The residual is left as it was (the sum is a tensor of its own; the layer before may still read it).
        Assert.Equal((double)expectedFirst, residual[0, 0].ToSingle(), 0);
    }

    [Fact]
    public void AddForward_on_bf16_rounds_the_sum_as_a_bf16_add()
    {
        Torch.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(5, CPU);
        var residual = randn([4, 256], generator: generator).to(ScalarType.BFloat16);
        var delta = randn([4, 256], generator: generator).mul_(1e-2).to(ScalarType.BFloat16);
        using var norm = new RmsNorm(ones([256], ScalarType.BFloat16), 1e-6);

        var (sum, normed) = norm.AddForward(residual, delta);

        Assert.Equal(ScalarType.BFloat16, sum.dtype);
        Assert.True(sum.eq(residual.add(delta)).all().item<bool>());
        Assert.True(normed.eq(norm.Forward(residual.add(delta))).all().item<bool>());
    }
}
