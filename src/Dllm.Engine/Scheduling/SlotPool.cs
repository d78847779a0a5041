namespace Dllm.Scheduling;

/// <summary>The free K/V cache slots; lowest index first so a lightly loaded engine reuses the same slots.</summary>
internal sealed class SlotPool(int slots)
{
    private readonly SortedSet<int> _free = [.. Enumerable.Range(0, slots)];

    public int Capacity { get; } = slots;

    public int FreeCount => _free.Count;

    public bool TryTake(out int slot)
    {
        if (_free.Count == 0)
        {
            slot = -1;
            return false;
        }
        slot = _free.Min;
        _free.Remove(slot);
        return true;
    }

    public void Return(int slot)
    {
        if (slot < 0 || slot >= Capacity || !_free.Add(slot))
            throw new InvalidOperationException($"slot {slot} was not taken");
    }
}
