using Dllm.Scheduling;

namespace Dllm.Tests.Scheduling;

public class FairRequestQueueTests
{
    private static List<string> Drain(FairRequestQueue<string> queue)
    {
        var order = new List<string>();
        while (queue.TryDequeue(out var item))
            order.Add(item);
        return order;
    }

    [Fact]
    public void Groups_take_turns_and_each_group_stays_in_order()
    {
        var queue = new FairRequestQueue<string>();
        foreach (int i in Enumerable.Range(0, 4))
            queue.Enqueue($"a{i}", "a");
        queue.Enqueue("b0", "b");
        queue.Enqueue("b1", "b");
        queue.Enqueue("solo", null);

        Assert.Equal(7, queue.Count);
        Assert.Equal(["a0", "b0", "solo", "a1", "b1", "a2", "a3"], Drain(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void An_item_queued_first_is_taken_next_and_the_groups_keep_their_turns()
    {
        var queue = new FairRequestQueue<string>();
        queue.Enqueue("a0", "a");
        queue.Enqueue("a1", "a");
        queue.Enqueue("b0", "b");

        queue.EnqueueFirst("back");

        Assert.Equal(4, queue.Count);
        Assert.True(queue.TryPeek(out string? head));
        Assert.Equal("back", head);
        Assert.Equal(["back", "a0", "b0", "a1"], Drain(queue));
    }

    [Fact]
    public void Peeking_shows_the_item_the_next_dequeue_takes_and_leaves_the_turns_as_they_were()
    {
        var queue = new FairRequestQueue<string>();
        Assert.False(queue.TryPeek(out _));
        queue.Enqueue("a0", "a");
        queue.Enqueue("a1", "a");
        queue.Enqueue("b0", "b");
        var order = new List<string>();

        while (queue.TryPeek(out var next))
        {
            Assert.True(queue.TryPeek(out var again));
            Assert.Equal(next, again);
            Assert.True(queue.TryDequeue(out var taken));
            Assert.Equal(next, taken);
            order.Add(taken);
        }

        Assert.Equal(["a0", "b0", "a1"], order);
    }

    [Fact]
    public void Items_without_a_group_are_plain_fifo()
    {
        var queue = new FairRequestQueue<string>();
        foreach (string item in (string[])["x", "y", "z"])
            queue.Enqueue(item, null);

        Assert.Equal(["x", "y", "z"], Drain(queue));
    }

    [Fact]
    public void A_group_that_empties_and_returns_queues_behind_the_others()
    {
        var queue = new FairRequestQueue<string>();
        queue.Enqueue("a0", "a");
        queue.Enqueue("b0", "b");
        queue.Enqueue("b1", "b");
        Assert.True(queue.TryDequeue(out var first));
        queue.Enqueue("a1", "a");

        Assert.Equal("a0", first);
        Assert.Equal(["b0", "a1", "b1"], Drain(queue));
    }

    [Fact]
    public void RemoveAll_takes_matching_items_from_every_group_and_keeps_the_turns()
    {
        var queue = new FairRequestQueue<string>();
        foreach (string item in (string[])["a0", "a1", "a2"])
            queue.Enqueue(item, "a");
        queue.Enqueue("b0", "b");
        queue.Enqueue("c0", "c");
        int calls = 0;

        var removed = queue.RemoveAll(item => { calls++; return item is "a1" or "b0"; });

        Assert.Equal(["a1", "b0"], removed);
        Assert.Equal(5, calls);
        Assert.Equal(3, queue.Count);
        Assert.Equal(["a0", "c0", "a2"], Drain(queue));
    }

    [Fact]
    public void An_empty_queue_dequeues_nothing()
    {
        var queue = new FairRequestQueue<string>();

        Assert.False(queue.TryDequeue(out _));
        Assert.Empty(queue.RemoveAll(_ => true));
    }
}
