namespace Dllm.Runner;

/// <summary>
/// One sequence's part of a batched forward: <see cref="TokenIds"/> are the new tokens at absolute
/// positions <c>Start .. Start + TokenIds.Length - 1</c>; the K/V of positions below <see cref="Start"/>
/// are already in cache slot <see cref="Slot"/>.
/// </summary>
/// <param name="Slot">The K/V cache slot of the sequence.</param>
/// <param name="Start">Absolute position of the first new token (= cached prefix length).</param>
/// <param name="TokenIds">The new tokens (every request of a batch has the same count).</param>
public sealed record ForwardRequest(int Slot, int Start, int[] TokenIds);
