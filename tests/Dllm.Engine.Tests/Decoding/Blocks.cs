using Dllm.Decoding;

namespace Dllm.Tests.Decoding;

/// <summary>Hand-made blocks and proposals for the algorithm tests.</summary>
internal static class Blocks
{
    public const int Mask = 99;

    /// <summary>A block of <paramref name="size"/> slots whose first slots hold <paramref name="prompt"/>.</summary>
    public static BlockState Create(int size, params int[] prompt) => new(size, Mask, prompt);

    /// <summary>The same confidence for every slot.</summary>
    public static float[] Uniform(int size, float confidence) => Enumerable.Repeat(confidence, size).ToArray();

    /// <summary>The same proposed token for every slot.</summary>
    public static int[] Same(int size, int token) => Enumerable.Repeat(token, size).ToArray();
}
