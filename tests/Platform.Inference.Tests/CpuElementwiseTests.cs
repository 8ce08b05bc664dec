using Platform.Inference.Kernels;
using Platform.Inference.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Tests;

/// <summary>The C# SwiGLU and rotation against LibTorch's operators: the same values, row by row whatever the batch, and prefill-sized inputs left to LibTorch.</summary>
public sealed class CpuElementwiseTests
{
    [Theory]
    [InlineData(1, 2048)]
    [InlineData(13, 2048)]
    [InlineData(5, 37)] // a width that is not a multiple of the SIMD width
    public void Silu_and_mul_equals_libtorch_and_each_row_equals_that_row_alone(int rows, int size)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var both = randn([rows, 1, 2 * size], generator: new Generator(3)).mul_(4);

        var expected = nn.functional.silu(both.narrow(-1, 0, size)).mul(both.narrow(-1, size, size));
        var actual = CpuElementwise.SiluAndMul(both, size);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max difference {(actual - expected).abs().max().item<float>()}");
        var last = CpuElementwise.SiluAndMul(both.narrow(0, rows - 1, 1).contiguous(), size);
        Assert.True(last.allclose(actual.narrow(0, rows - 1, 1), rtol: 0, atol: 0), "a row's result depends on the batch it is in");
    }

    [Theory]
    [InlineData(1, 1, 24, 64)]
    [InlineData(32, 1, 24, 64)]
    [InlineData(3, 5, 6, 10)] // several positions per row, a half that is not a multiple of the SIMD width
    public void The_rotation_of_a_fused_qkv_slice_equals_libtorch(int batch, int length, int heads, int headDim)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var generator = new Generator(5);
        // The q and k heads of a fused q/k/v product: a slice that is not contiguous across positions.
        var qkv = randn([batch, length, heads + heads / 2, headDim], generator: generator);
        var x = qkv.narrow(2, 0, heads);
        var cos = randn([batch, length, 1, headDim], generator: generator);
        var sin = randn([batch, length, 1, headDim], generator: generator);
        Assert.True(CpuElementwise.RotaryApplies(x, cos, sin));

        var half = headDim / 2;
        var swapped = cat([x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        var expected = x * cos + swapped * sin;
        var actual = RotaryEmbedding.Apply(x, cos, sin);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Prefill_sized_inputs_gradients_and_other_dtypes_are_left_to_libtorch()
    {
        using var scope = NewDisposeScope();
        var cos = ones([1, 100, 1, 8]);
        using (inference_mode())
        {
            Assert.False(CpuElementwise.RotaryApplies(ones([1, 100, 2, 8]), cos, cos), "100 positions is a prefill");
            Assert.False(CpuElementwise.RotaryApplies(ones([1, 4, 2, 8], ScalarType.Float64), cos.narrow(1, 0, 4), cos.narrow(1, 0, 4)));
        }
        Assert.False(CpuElementwise.RotaryApplies(ones([1, 4, 2, 8]), cos.narrow(1, 0, 4).contiguous(), cos.narrow(1, 0, 4).contiguous()),
            "outside inference mode autograd may need the graph");
    }
}
