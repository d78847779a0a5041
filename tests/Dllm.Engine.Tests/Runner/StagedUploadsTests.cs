using Dllm.Runner;
using Dllm.Tests.Infrastructure;
using TorchSharp;

namespace Dllm.Tests.Runner;

/// <summary>The uploads a reloaded geometry copies its inputs with: every value lands at its element of the target,
/// the rest of the target keeps its values, and misuse is refused with the reason.</summary>
public class StagedUploadsTests
{
    [Fact]
    public void Uploads_at_offsets_write_exactly_their_elements_of_each_target()
    {
        Torch.EnsureLoaded();
        using var longs = torch.full([3, 4], -1L, torch.ScalarType.Int64);
        using var ints = torch.zeros([5], torch.ScalarType.Int32);
        using var mask = torch.zeros([2, 2, 2], torch.ScalarType.Bool);
        using var uploads = new StagedUploads(torch.CPU);

        uploads.Begin();
        uploads.Upload(longs, new long[] { 10, 11, 12, 13 }, offset: 4);
        uploads.Upload(ints, new[] { 7, 8 }, offset: 3);
        uploads.Upload(mask, new[] { true, false, true }, offset: 5);
        uploads.End();
        // A second reload through the same twins rewrites one row and keeps what the first wrote elsewhere.
        uploads.Begin();
        uploads.Upload(longs, new long[] { 20, 21, 22, 23 }, offset: 8);
        uploads.End();

        Assert.Equal(new long[] { -1, -1, -1, -1, 10, 11, 12, 13, 20, 21, 22, 23 }, longs.data<long>().ToArray());
        Assert.Equal(new[] { 0, 0, 0, 7, 8 }, ints.data<int>().ToArray());
        Assert.Equal(new[] { false, false, false, false, false, true, false, true }, mask.data<bool>().ToArray());
    }

    [Fact]
    public void Misuse_is_refused_with_the_reason()
    {
        Torch.EnsureLoaded();
        using var target = torch.zeros([4], torch.ScalarType.Int64);
        using var uploads = new StagedUploads(torch.CPU);

        var outside = Assert.Throws<InvalidOperationException>(() => uploads.Upload(target, new long[] { 1 }));
        Assert.Contains("outside Begin", outside.Message);

        uploads.Begin();
        var size = Assert.Throws<ArgumentException>(() => uploads.Upload(target, new[] { 1 }));
        Assert.Contains("Int32 values do not fit a Int64 tensor", size.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => uploads.Upload(target, new long[] { 1, 2 }, offset: 3));
        Assert.Contains("elements 3 .. 4 are not in a tensor of 4", range.Message);
        uploads.End();
        Assert.Equal(new long[4], target.data<long>().ToArray());
    }
}
