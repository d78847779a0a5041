using Dllm.Model;
using Dllm.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Tests.Model;

public class LogitsProjectionTests
{
    /// <summary>Final hidden states [5, 16] and an lm_head [40, 16] of one dtype.</summary>
    private sealed class Operands : IDisposable
    {
        public Operands(ScalarType dtype)
        {
            Torch.EnsureLoaded();
            using var generator = new Generator(7, CPU);
            Hidden = randn([5, 16], generator: generator).to(dtype);
            Head = randn([40, 16], generator: generator).div_(4).to(dtype);
        }

        public Tensor Hidden { get; }
        public Tensor Head { get; }

        public void Dispose()
        {
            Hidden.Dispose();
            Head.Dispose();
        }
    }

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void Logits_keep_the_hidden_states_dtype_with_the_bits_of_linear()
    {
        using var x = new Operands(ScalarType.BFloat16);
        using var logits = LogitsProjection.Project(x.Hidden, x.Head, ScalarType.BFloat16);
        using var expected = nn.functional.linear(x.Hidden, x.Head);

        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        Assert.True(Same(expected, logits));
    }

    [Fact]
    public void Fp32_logits_are_the_exact_widening_of_the_model_dtype_ones()
    {
        using var x = new Operands(ScalarType.BFloat16);
        using var logits = LogitsProjection.Project(x.Hidden, x.Head, ScalarType.Float32);
        using var expected = nn.functional.linear(x.Hidden, x.Head).to(ScalarType.Float32);

        Assert.True(Same(expected, logits));
    }

    [Fact]
    public void Logits_go_into_the_rows_of_the_buffer_given_and_nowhere_else()
    {
        using var x = new Operands(ScalarType.BFloat16);
        using var buffer = full([8, 40], double.NaN, ScalarType.BFloat16);
        using var into = buffer.narrow(0, 0, 5);
        using var expected = nn.functional.linear(x.Hidden, x.Head);

        using var logits = LogitsProjection.Project(x.Hidden, x.Head, ScalarType.BFloat16, into);

        Assert.Equal(into.Handle, logits.Handle);
        Assert.True(Same(expected, buffer.narrow(0, 0, 5)));
        Assert.True(buffer.narrow(0, 5, 3).isnan().all().item<bool>());
    }

    [Fact]
    public void A_buffer_or_dtype_the_logits_cannot_have_is_refused_by_name()
    {
        using var x = new Operands(ScalarType.BFloat16);
        using var fp32Buffer = empty([5, 40], ScalarType.Float32);

        var buffer = Assert.Throws<ArgumentException>(() => LogitsProjection.Project(x.Hidden, x.Head, ScalarType.BFloat16, fp32Buffer));
        Assert.Contains("BFloat16 logits buffer, got Float32", buffer.Message);
        var dtype = Assert.Throws<ArgumentException>(() => LogitsProjection.Project(x.Hidden, x.Head, ScalarType.Float16));
        Assert.Contains("Float16 was asked for", dtype.Message);
    }
}
