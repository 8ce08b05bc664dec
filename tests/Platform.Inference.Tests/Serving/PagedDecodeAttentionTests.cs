using Platform.Inference.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Tests.Serving;

/// <summary>Decode attention read straight from a paged pool against gathering each row's slots and LibTorch's attention.</summary>
public sealed class PagedDecodeAttentionTests
{
    [Theory]
    [InlineData(1, 12, 12, 64)] // one row: split by head
    [InlineData(32, 12, 12, 64)]
    [InlineData(5, 8, 2, 64)] // grouped-query attention
    [InlineData(3, 4, 4, 128)]
    [InlineData(6, 6, 3, 48)] // a head size the vector path does not take
    public void Rows_of_different_lengths_equal_gather_and_attention(int batch, int heads, int kvHeads, int headDim)
    {
        using var scope = NewDisposeScope();
        var random = new Random(batch * 31 + headDim);
        var generator = new Generator((ulong)(batch + heads));
        const int PoolSlots = 400;
        var keys = randn([PoolSlots, kvHeads, headDim], generator: generator);
        var values = randn([PoolSlots, kvHeads, headDim], generator: generator);
        var query = randn([batch, heads, 1, headDim], generator: generator).mul_(2f);
        var lengths = Enumerable.Range(0, batch).Select(_ => random.Next(1, 90)).ToArray();
        var span = lengths.Max();
        // Each row's table: distinct slots in random order, padded (like the engine) with slot 0.
        var slots = new long[batch * span];
        for (var b = 0; b < batch; b++)
        {
            var table = Enumerable.Range(0, PoolSlots).OrderBy(_ => random.Next()).Take(lengths[b]).ToArray();
            for (var j = 0; j < lengths[b]; j++)
            {
                slots[b * span + j] = table[j];
            }
        }

        var actual = PagedDecodeAttention.Run(query, keys, values, slots, lengths, span);

        var gather = tensor(slots, ScalarType.Int64);
        var k = keys.index_select(0, gather).view(batch, span, kvHeads, headDim).transpose(1, 2);
        var v = values.index_select(0, gather).view(batch, span, kvHeads, headDim).transpose(1, 2);
        var groups = heads / kvHeads;
        k = k.unsqueeze(2).expand(batch, kvHeads, groups, span, headDim).reshape(batch, heads, span, headDim);
        v = v.unsqueeze(2).expand(batch, kvHeads, groups, span, headDim).reshape(batch, heads, span, headDim);
        var mask = tensor(Enumerable.Range(0, batch).SelectMany(b => Enumerable.Range(0, span).Select(j => j < lengths[b])).ToArray())
            .view(batch, 1, 1, span);
        var expected = nn.functional.scaled_dot_product_attention(query, k, v, mask).transpose(1, 2).reshape(batch, 1, heads * headDim);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Threads_get_about_the_same_number_of_positions_not_of_rows()
    {
        // One long row and five short ones: the long one alone is half the work.
        Assert.Equal([0, 1, 6], PagedDecodeAttention.Balanced([500, 100, 100, 100, 100, 100], 6, 1, 2));
        Assert.Equal([0, 2, 4], PagedDecodeAttention.Balanced([30, 30, 30, 30], 4, 1, 2));
        // Items are head groups of a row (3 per row here); three parts over one row's six items.
        Assert.Equal([0, 2, 4, 6], PagedDecodeAttention.Balanced([50, 50], 6, 3, 3));
        // As many parts as items (Run never asks for more): one each, however uneven.
        Assert.Equal([0, 1, 2], PagedDecodeAttention.Balanced([10, 300], 2, 1, 2));
    }

    [Fact]
    public void Only_a_single_query_position_on_the_cpu_is_taken()
    {
        using var scope = NewDisposeScope();
        var keys = zeros(16, 2, 64);
        Assert.True(PagedDecodeAttention.Applies(zeros(2, 2, 1, 64), keys, keys));
        Assert.False(PagedDecodeAttention.Applies(zeros(2, 2, 3, 64), keys, keys));
        Assert.False(PagedDecodeAttention.Applies(zeros(2, 2, 1, 64, ScalarType.Float64), keys, keys));
    }
}
