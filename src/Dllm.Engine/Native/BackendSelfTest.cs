using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Native;

/// <summary>One check of <see cref="BackendSelfTest"/>.</summary>
/// <param name="Name">What was checked.</param>
/// <param name="Passed">Whether the result matched the fp32 CPU reference within tolerance.</param>
/// <param name="MaxError">The largest relative error seen.</param>
/// <param name="Detail">Timing and extra facts.</param>
public sealed record BackendCheck(string Name, bool Passed, double MaxError, string Detail);

/// <summary>
/// Runs the operations the engine relies on (bf16 matmul, masked scaled-dot-product attention) on a device
/// and compares each with an fp32 CPU computation written with plain matmul/softmax.
/// </summary>
public static class BackendSelfTest
{
    /// <summary>Runs every check on <paramref name="device"/>.</summary>
    public static IReadOnlyList<BackendCheck> Run(Device device)
    {
        using var mode = torch.inference_mode();
        return [CheckMatmul(device), CheckAttention(device), MeasureMatmulThroughput(device)];
    }

    private static BackendCheck CheckMatmul(Device device)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(1234);
        var a = randn([256, 512], generator: generator);
        var b = randn([512, 384], generator: generator);
        var reference = a.matmul(b);
        var result = a.to(device).to(ScalarType.BFloat16).matmul(b.to(device).to(ScalarType.BFloat16)).to(ScalarType.Float32).cpu();
        double error = RelativeError(result, reference);
        return new BackendCheck("bf16 matmul 256x512x384", error < 2e-2, error, $"on {device}");
    }

    private static BackendCheck CheckAttention(Device device)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(4321);
        long heads = 4, length = 64, dim = 128, block = 32;
        var q = randn([1, heads, length, dim], generator: generator);
        var k = randn([1, heads, length, dim], generator: generator);
        var v = randn([1, heads, length, dim], generator: generator);
        // Block-causal mask: query i sees key j iff floor(j/B) <= floor(i/B).
        var blocks = arange(length).div(block, rounding_mode: RoundingMode.floor);
        var allowed = blocks.unsqueeze(0).le(blocks.unsqueeze(1));
        var additive = zeros([length, length]).masked_fill(allowed.logical_not(), double.NegativeInfinity);
        var reference = q.matmul(k.transpose(-1, -2)).div(Math.Sqrt(dim)).add(additive).softmax(-1).matmul(v);

        var bf16 = ScalarType.BFloat16;
        var result = nn.functional.scaled_dot_product_attention(
            q.to(device).to(bf16), k.to(device).to(bf16), v.to(device).to(bf16),
            attn_mask: allowed.to(device)).to(ScalarType.Float32).cpu();
        double error = RelativeError(result, reference);
        return new BackendCheck("bf16 block-causal attention 4x64x128", error < 3e-2, error, $"on {device}");
    }

    private static BackendCheck MeasureMatmulThroughput(Device device)
    {
        using var scope = NewDisposeScope();
        long n = device.type == DeviceType.CUDA ? 8192 : 512;
        var a = randn([n, n], dtype: ScalarType.BFloat16, device: device);
        var b = randn([n, n], dtype: ScalarType.BFloat16, device: device);
        a.matmul(b).sum().to(ScalarType.Float32).item<float>(); // warm-up and sync
        const int repeats = 10;
        var watch = Stopwatch.StartNew();
        Tensor last = a;
        for (int i = 0; i < repeats; i++)
            last = a.matmul(b);
        float checksum = last.sum().to(ScalarType.Float32).item<float>(); // forces completion
        watch.Stop();
        double tflops = 2.0 * n * n * n * repeats / watch.Elapsed.TotalSeconds / 1e12;
        return new BackendCheck($"bf16 matmul {n}^3 throughput", !float.IsNaN(checksum), 0, $"{tflops:F1} TFLOP/s on {device}");
    }

    private static double RelativeError(Tensor result, Tensor reference) =>
        result.sub(reference).abs().max().item<float>() / Math.Max(1e-12, reference.abs().max().item<float>());
}
