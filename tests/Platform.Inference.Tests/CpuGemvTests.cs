using Platform.Inference.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Tests;

/// <summary>The batch-1 CPU kernel against LibTorch's linear: same values, and every case it must not take is left to LibTorch.</summary>
public sealed class CpuGemvTests
{
    [Theory]
    [InlineData(768, 768, false)]
    [InlineData(2048, 768, true)]
    [InlineData(7, 13, false)] // fewer rows than a group of 4, columns not a multiple of the SIMD width
    [InlineData(131, 70, true)]
    [InlineData(32000, 64, false)]
    public void One_row_equals_linear(int rows, int cols, bool withBias)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var weight = randn([rows, cols], generator: generator);
        var bias = withBias ? randn([rows], generator: generator) : null;
        var input = randn([1, 1, cols], generator: generator);

        var expected = nn.functional.linear(input, weight, bias);
        var actual = CpuGemv.Linear(input, weight, bias);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-4), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Theory]
    [InlineData(2, 1, 768, 2048)]
    [InlineData(4, 1, 96, 40)]
    [InlineData(5, 1, 131, 70)]
    [InlineData(8, 1, 768, 768)]
    [InlineData(3, 6, 77, 19)]
    [InlineData(64, 1, 256, 48)]
    [InlineData(32, 1, 100, 80)] // eight groups of four share the prefetch of a next tile that is not full
    [InlineData(13, 1, 260, 40)]
    [InlineData(1, 1, 2304, 768)] // packed panels: two at a time for one input
    [InlineData(3, 1, 97, 33)]    // a group of two and a single row
    [InlineData(15, 1, 100, 80)]  // 8 + 4 + 2 + 1
    [InlineData(32, 1, 768, 2048)]
    [InlineData(64, 1, 4096, 64)]
    public void A_decode_batch_equals_linear(int batch, int length, int rows, int cols)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var weight = randn([rows, cols], generator: generator);
        var bias = randn([rows], generator: generator);
        var input = randn([batch, length, cols], generator: generator);

        var expected = nn.functional.linear(input, weight, bias);
        var actual = CpuGemv.Linear(input, weight, bias);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-4), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void A_strided_row_is_read_as_its_values()
    {
        using var scope = NewDisposeScope();
        var weight = randn([64, 32], generator: new Generator(3));
        var wide = randn([1, 64], generator: new Generator(4));
        var input = wide.narrow(1, 0, 64).view(1, 64)[TensorIndex.Colon, TensorIndex.Slice(0, 64, 2)];
        Assert.False(input.is_contiguous());
        Assert.True(CpuGemv.Linear(input, weight).allclose(nn.functional.linear(input, weight), rtol: 1e-5, atol: 1e-4));
    }

    [Fact]
    public void More_rows_than_a_decode_batch_and_autograd_stay_with_libtorch()
    {
        using var scope = NewDisposeScope();
        var weight = randn([16, 8], generator: new Generator(5));
        var batch = randn([CpuGemv.MaxRows + 1, 8], generator: new Generator(6));
        Assert.True(CpuGemv.Linear(batch, weight).allclose(nn.functional.linear(batch, weight)));

        var tracked = randn([1, 8], generator: new Generator(8)).requires_grad_(true);
        var output = CpuGemv.Linear(tracked, weight);
        Assert.True(output.requires_grad);
        output.sum().backward();
        Assert.NotNull(tracked.grad);
    }

    [Theory]
    [InlineData(3)]    // [B, T, in] past the kernel's rows: addmm_ on 2-D views
    [InlineData(2)]    // already 2-D
    public void AddLinear_beyond_the_kernel_adds_the_product_with_or_without_a_given_transpose(int dims)
    {
        using var scope = NewDisposeScope();
        var weight = randn([16, 8], generator: new Generator(11));
        long[] shape = dims == 3 ? [2, CpuGemv.MaxRows, 8] : [CpuGemv.MaxRows + 3, 8];
        var input = randn(shape, generator: new Generator(12));
        var start = randn([.. shape[..^1], 16], generator: new Generator(13));
        var expected = start + nn.functional.linear(input, weight);

        var plain = start.clone();
        CpuGemv.AddLinear(plain, input, weight);
        var withTranspose = start.clone();
        CpuGemv.AddLinear(withTranspose, input, weight, weight.t());

        Assert.True(plain.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.True(withTranspose.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Disabled_gives_linear_exactly()
    {
        using var scope = NewDisposeScope();
        var weight = randn([40, 24], generator: new Generator(9));
        var input = randn([1, 24], generator: new Generator(10));
        CpuGemv.Enabled = false;
        try
        {
            Assert.True(CpuGemv.Linear(input, weight).eq(nn.functional.linear(input, weight)).all().item<bool>());
        }
        finally
        {
            CpuGemv.Enabled = true;
        }
    }
}
