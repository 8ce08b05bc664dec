using Platform.Inference.Serving;

namespace Platform.Inference.Tests.Serving;

public sealed class BlockHasherTests
{
    private static readonly int[] Tokens = [.. Enumerable.Range(1, 40)];

    [Fact]
    public void Chain_DependsOnEveryEarlierToken_SaltAndAdapter()
    {
        var root = BlockHasher.Root("tenant-a", "");
        var chain = BlockHasher.Chain(root, Tokens, 16, 2);
        Assert.Equal(chain, BlockHasher.Chain(root, Tokens, 16, 2));

        var changedFirst = (int[])Tokens.Clone();
        changedFirst[3] = 999;
        Assert.NotEqual(chain[1], BlockHasher.Chain(root, changedFirst, 16, 2)[1]);

        Assert.NotEqual(chain[0], BlockHasher.Chain(BlockHasher.Root("tenant-b", ""), Tokens, 16, 1)[0]);
        Assert.NotEqual(chain[0], BlockHasher.Chain(BlockHasher.Root("tenant-a", "/adapters/x"), Tokens, 16, 1)[0]);
        // Length-prefixed: moving characters between salt and adapter changes the root.
        Assert.NotEqual(BlockHasher.Root("ab", "c"), BlockHasher.Root("a", "bc"));
    }
}
