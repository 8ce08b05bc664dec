using Platform.Inference.Serving;

namespace Platform.Inference.Tests.Serving;

public sealed class KvBlockManagerTests
{
    [Fact]
    public void Allocate_UsesFreeBlocksThenEvictsLeastRecentlyReleasedCachedBlock()
    {
        var blocks = new KvBlockManager(3, 4);
        int a = blocks.Allocate(), b = blocks.Allocate(), c = blocks.Allocate();
        Assert.False(blocks.CanAllocate(1));
        blocks.Register(a, 100);
        blocks.Register(b, 200);
        blocks.Release(b);
        blocks.Release(a);
        blocks.Release(c);
        Assert.Equal(3, blocks.AvailableBlocks);
        Assert.Equal(2, blocks.CachedBlocks);

        Assert.Equal(c, blocks.Allocate());   // unhashed free block first
        Assert.Equal(b, blocks.Allocate());   // then the oldest cached one (b was released before a)
        Assert.Equal(1, blocks.Evictions);
        Assert.Empty(blocks.Match([200]));
        Assert.Equal([a], blocks.Match([100, 200]));
    }

    [Fact]
    public void Match_TakesReferencesAndStopsAtFirstMiss()
    {
        var blocks = new KvBlockManager(4, 4);
        int a = blocks.Allocate(), b = blocks.Allocate();
        blocks.Register(a, 1);
        blocks.Register(b, 2);
        Assert.Equal([a, b], blocks.Match([1, 2, 3]));
        Assert.Equal(2, blocks.RefCount(a));
        blocks.Release(a);
        blocks.Release(a);
        Assert.Equal(0, blocks.RefCount(a));
        Assert.Equal(3, blocks.AvailableBlocks);   // a is cached-unreferenced, still matchable
        Assert.Equal([a], blocks.Match([1]));
        Assert.Equal(2, blocks.AvailableBlocks);
    }

    [Fact]
    public void Register_KeepsTheFirstBlockForADuplicateHash()
    {
        var blocks = new KvBlockManager(2, 4);
        int a = blocks.Allocate(), b = blocks.Allocate();
        blocks.Register(a, 9);
        blocks.Register(b, 9);
        blocks.Release(b);
        Assert.Equal(1, blocks.CachedBlocks);
        Assert.Equal([a], blocks.Match([9]));
    }

    [Fact]
    public void Misuse_Throws()
    {
        var blocks = new KvBlockManager(1, 4);
        var a = blocks.Allocate();
        Assert.Throws<InvalidOperationException>(() => blocks.Allocate());
        blocks.Release(a);
        Assert.Throws<InvalidOperationException>(() => blocks.Release(a));
        Assert.Throws<InvalidOperationException>(() => blocks.Register(a, 1));
    }
}
