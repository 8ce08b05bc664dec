using Platform.Inference.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Tests;

/// <summary>
/// The packed-panel product behind <see cref="CpuGemv.Linear"/> (its values against LibTorch's are in
/// <see cref="CpuGemvTests"/>): one result per row whatever the batch around it, and a weight changed in place is
/// packed again.
/// </summary>
public sealed class PackedMatrixTests
{
    [Fact]
    public void A_row_gets_the_same_bits_alone_and_in_every_batch()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(22);
        var weight = randn([131, 200], generator: generator);
        var inputs = randn([CpuGemv.MaxRows, 200], generator: generator);
        var together = CpuGemv.Linear(inputs, weight);

        foreach (var (start, length) in new[] { (0, 1), (5, 1), (3, 2), (10, 3), (7, 5), (20, 8), (13, 13), (1, 33), (0, 63) })
        {
            var part = CpuGemv.Linear(inputs.narrow(0, start, length), weight);
            Assert.True(part.eq(together.narrow(0, start, length)).all().item<bool>(), $"rows {start}..{start + length - 1} differ from the full batch");
        }
    }

    [Fact]
    public void A_weight_changed_in_place_is_used_as_changed_once_forgotten()
    {
        using var scope = NewDisposeScope();
        var weight = randn([96, 32], generator: new Generator(23));
        var input = randn([4, 32], generator: new Generator(24));
        _ = CpuGemv.Linear(input, weight);

        weight.add_(1f);
        CpuGemv.ForgetPacked();

        var actual = CpuGemv.Linear(input, weight);
        Assert.True(actual.allclose(nn.functional.linear(input, weight), rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void A_weight_given_new_storage_is_packed_again_without_being_forgotten()
    {
        using var scope = NewDisposeScope();
        var weight = randn([96, 32], generator: new Generator(25));
        var input = randn([2, 32], generator: new Generator(26));
        _ = CpuGemv.Linear(input, weight);

        var replacement = randn([96, 32], generator: new Generator(27));
        weight.set_(replacement);

        Assert.True(CpuGemv.Linear(input, weight).allclose(nn.functional.linear(input, replacement), rtol: 1e-4, atol: 1e-4));
    }
}
