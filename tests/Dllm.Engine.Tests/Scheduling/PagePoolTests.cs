using Dllm.Scheduling;

namespace Dllm.Tests.Scheduling;

/// <summary>The K/V pool's bookkeeping and the prefix cache's index, on the host only.</summary>
public class PagePoolTests
{
    private const int PageSize = 4;
    private const int Block = 4;

    private static int[] Seq(params int[] tokens) => tokens;

    [Fact]
    public void A_reservation_takes_the_lowest_free_pages_and_a_release_gives_them_back()
    {
        var pool = new PagePool(pages: 6, PageSize);

        var a = pool.TryReserve([], 2)!;
        var b = pool.TryReserve([], 3)!;

        Assert.Equal([0, 1], a);
        Assert.Equal([2, 3, 4], b);
        Assert.Equal((5, 1, 0), (pool.InUse, pool.Free, pool.Evictable));
        Assert.Null(pool.TryReserve([], 2));
        Assert.Equal((5, 1), (pool.InUse, pool.Free)); // a refused reservation changes nothing
        pool.Release(a);
        pool.Release(b);
        Assert.Equal((0, 6), (pool.InUse, pool.Free));
        Assert.Empty(pool.Audit());
        Assert.Throws<InvalidOperationException>(() => pool.Release(a));
    }

    [Fact]
    public void A_table_grows_by_fresh_pages_at_its_end_evicting_cached_ones_when_none_is_free_and_never_beyond_the_pool()
    {
        var pool = new PagePool(pages: 4, PageSize);
        var cached = pool.TryReserve([], 1)!;
        pool.Index.Insert(cached, Seq(1, 2, 3, 4), 1, Block);
        pool.Release(cached); // page 0: cached, evictable
        var table = pool.TryReserve([], 1)!; // page 1

        var same = pool.TryGrow(table, 1);
        var grown = pool.TryGrow(table, 3)!;
        var refused = pool.TryGrow(grown, 5);
        var full = pool.TryGrow(grown, 4)!;

        Assert.Same(table, same); // covered already: nothing taken
        Assert.Equal([1, 2, 3], grown);
        Assert.Null(refused);
        Assert.Equal([1, 2, 3, 0], full); // the last free page went first, then the cached one was evicted
        Assert.Equal((4, 0, 0), (pool.InUse, pool.Free, pool.Evictable));
        Assert.False(pool.Index.Contains(0));
        pool.Release(full);
        Assert.Empty(pool.Audit());
        Assert.Equal(4, pool.Free);
    }

    [Fact]
    public void Cached_pages_are_matched_by_content_in_order_and_shared_by_reference_count()
    {
        var pool = new PagePool(pages: 8, PageSize);
        int[] tokens = Seq(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        var first = pool.TryReserve([], 3)!;
        Assert.Equal(3, pool.Index.Insert(first, tokens, 3, Block));

        var sameStart = pool.Index.Match(Seq(1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0), 3, Block);
        var otherStart = pool.Index.Match(Seq(9, 2, 3, 4, 5, 6, 7, 8), 2, Block);
        var otherBlockSize = pool.Index.Match(tokens, 3, blockSize: 8);
        var second = pool.TryReserve(sameStart, 4)!;

        Assert.Equal(first[..2], sameStart);
        Assert.Empty(otherStart); // page 2's tokens alone do not match: the chain starts at page 0
        Assert.Empty(otherBlockSize); // K/V of another block size are other K/V
        Assert.Equal(2, pool.References(first[0]));
        Assert.Equal(1, pool.References(second[3]));
        pool.Release(first);
        Assert.Equal((4, 1), (pool.InUse, pool.Evictable)); // second holds first[0..1] and two own pages; first[2] idle
        pool.Release(second);
        Assert.Equal((0, 3, 5), (pool.InUse, pool.Evictable, pool.Free));
        Assert.Empty(pool.Audit());
    }

    [Fact]
    public void The_pool_evicts_the_least_recently_released_cached_pages_deepest_first_when_it_needs_pages()
    {
        var pool = new PagePool(pages: 4, PageSize);
        var old = pool.TryReserve([], 2)!;
        pool.Index.Insert(old, Seq(1, 1, 1, 1, 2, 2, 2, 2), 2, Block);
        pool.Release(old);
        var recent = pool.TryReserve([], 2)!;
        pool.Index.Insert(recent, Seq(3, 3, 3, 3, 4, 4, 4, 4), 2, Block);
        pool.Release(recent);
        Assert.Equal((0, 4, 4), (pool.Free, pool.Evictable, pool.Index.Count));

        var taken = pool.TryReserve([], 1)!;

        Assert.Equal([old[1]], taken); // the older sequence's second page goes first
        Assert.Equal([old[0]], pool.Index.Match(Seq(1, 1, 1, 1, 2, 2, 2, 2), 2, Block));
        Assert.Equal(recent, pool.Index.Match(Seq(3, 3, 3, 3, 4, 4, 4, 4), 2, Block));
        var shared = pool.Index.Match(Seq(3, 3, 3, 3, 4, 4, 4, 4), 2, Block);
        Assert.NotNull(pool.TryReserve(shared, 3)); // both shared pages + the last evictable one
        Assert.Empty(pool.Index.Match(Seq(1, 1, 1, 1), 1, Block));
        Assert.Null(pool.TryReserve([], 1));
        Assert.Empty(pool.Audit());
    }

    [Fact]
    public void A_hash_that_always_collides_never_gives_a_wrong_page()
    {
        var pool = new PagePool(pages: 6, PageSize, hash: _ => 42);
        var a = pool.TryReserve([], 2)!;
        pool.Index.Insert(a, Seq(1, 2, 3, 4, 5, 6, 7, 8), 2, Block);
        var b = pool.TryReserve([], 2)!;

        int added = pool.Index.Insert(b, Seq(9, 9, 9, 9, 5, 6, 7, 8), 2, Block);

        Assert.Equal(0, added); // the key of (root, 9 9 9 9) is taken by other tokens: left out
        Assert.Empty(pool.Index.Match(Seq(9, 9, 9, 9, 5, 6, 7, 8), 2, Block));
        Assert.Equal([a[0]], pool.Index.Match(Seq(1, 2, 3, 4, 0, 0, 0, 0), 2, Block));
        Assert.Equal(a, pool.Index.Match(Seq(1, 2, 3, 4, 5, 6, 7, 8), 2, Block));
    }

    [Fact]
    public void A_page_whose_content_is_cached_in_another_page_stays_out_and_the_chain_goes_on_through_that_one()
    {
        var pool = new PagePool(pages: 8, PageSize);
        var a = pool.TryReserve([], 1)!;
        pool.Index.Insert(a, Seq(1, 2, 3, 4), 1, Block);
        var b = pool.TryReserve([], 2)!; // the same first page computed again (admitted before a's insert)

        Assert.Equal(1, pool.Index.Insert(b, Seq(1, 2, 3, 4, 5, 6, 7, 8), 2, Block));

        Assert.False(pool.Index.Contains(b[0]));
        Assert.Equal([a[0], b[1]], pool.Index.Match(Seq(1, 2, 3, 4, 5, 6, 7, 8), 2, Block));
        pool.Release(b);
        Assert.Equal((1, 1, 6), (pool.InUse, pool.Evictable, pool.Free)); // a[0] in use, b[1] evictable, b[0] free
        Assert.Empty(pool.Audit());
    }

    [Theory]
    [InlineData(10, 5, 32, 1024, 32)]    // 15 positions: one block
    [InlineData(32, 1, 32, 1024, 64)]    // a whole prompt block, then one more
    [InlineData(40, 100, 32, 1024, 160)] // 140 -> 5 blocks
    [InlineData(40, 100, 16, 1024, 144)] // 140 -> 9 blocks of 16
    [InlineData(900, 200, 32, 1024, 1024)] // capped at the context
    public void A_request_may_write_up_to_the_end_of_the_block_where_its_tokens_end(int prompt, int maxNew, int block, int context, long positions)
    {
        Assert.Equal(positions, PageBudget.Positions(prompt, maxNew, block, context));
        Assert.Equal((int)((positions + 31) / 32), PageBudget.Pages(prompt, maxNew, block, 32, context));
    }
}
