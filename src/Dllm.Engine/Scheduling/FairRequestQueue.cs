namespace Dllm.Scheduling;

/// <summary>
/// The waiting queue, fair across groups: FIFO inside a group, round-robin across groups in the order they first
/// queued, so a group of 500 items delays an item of another group by at most one item per group ahead of it.
/// An item without a group (null key) is a group of its own. Not thread-safe (the scheduler thread owns it).
/// </summary>
/// <typeparam name="T">The queued item.</typeparam>
internal sealed class FairRequestQueue<T>
{
    private readonly LinkedList<Queue<T>> _turns = [];
    private readonly Dictionary<string, LinkedListNode<Queue<T>>> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<Queue<T>, string> _keys = [];

    /// <summary>Items queued.</summary>
    public int Count { get; private set; }

    /// <summary>Queues <paramref name="item"/> at the end of its group (a new group takes the last turn).</summary>
    public void Enqueue(T item, string? group)
    {
        if (group is null || !_groups.TryGetValue(group, out var node))
        {
            node = _turns.AddLast(new Queue<T>());
            if (group is not null)
            {
                _groups[group] = node;
                _keys[node.Value] = group;
            }
        }
        node.Value.Enqueue(item);
        Count++;
    }

    /// <summary>Queues <paramref name="item"/> at the very head, in a turn of its own: the next <see cref="TryDequeue"/>
    /// takes it (a request that was retracted goes first).</summary>
    public void EnqueueFirst(T item)
    {
        var queue = new Queue<T>();
        queue.Enqueue(item);
        _turns.AddFirst(queue);
        Count++;
    }

    /// <summary>The item <see cref="TryDequeue"/> would take next, left in the queue.</summary>
    public bool TryPeek(out T item)
    {
        if (_turns.First is not { } node)
        {
            item = default!;
            return false;
        }
        item = node.Value.Peek();
        return true;
    }

    /// <summary>Takes the first item of the group whose turn it is; that group goes to the back of the rotation.</summary>
    public bool TryDequeue(out T item)
    {
        if (_turns.First is not { } node)
        {
            item = default!;
            return false;
        }
        item = node.Value.Dequeue();
        Count--;
        _turns.RemoveFirst();
        if (node.Value.Count > 0)
            _turns.AddLast(node);
        else
            Forget(node.Value);
        return true;
    }

    /// <summary>Removes and returns every item matching <paramref name="predicate"/> (called once per item); the turns of the groups left are kept.</summary>
    public List<T> RemoveAll(Func<T, bool> predicate)
    {
        var removed = new List<T>();
        for (var node = _turns.First; node is not null;)
        {
            var next = node.Next;
            var queue = node.Value;
            List<T>? kept = null;
            int index = 0;
            foreach (var item in queue)
            {
                if (predicate(item))
                {
                    kept ??= queue.Take(index).ToList();
                    removed.Add(item);
                }
                else
                {
                    kept?.Add(item);
                }
                index++;
            }
            if (kept is not null)
            {
                queue.Clear();
                kept.ForEach(queue.Enqueue);
                if (queue.Count == 0)
                {
                    _turns.Remove(node);
                    Forget(queue);
                }
            }
            node = next;
        }
        Count -= removed.Count;
        return removed;
    }

    private void Forget(Queue<T> queue)
    {
        if (_keys.Remove(queue, out string? group))
            _groups.Remove(group);
    }
}
