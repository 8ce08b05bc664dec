using TorchSharp;

namespace Platform.Inference.Model;

/// <summary>
/// Seeded random weights for benchmarks and tests: N(0, std) matrices and biases, norm weights near 1.
/// </summary>
public sealed class RandomWeightSource(long seed, float std = 0.02f) : IWeightSource
{
    private readonly torch.Generator _generator = new((ulong)seed);

    /// <inheritdoc />
    public bool Contains(string name) => true;

    /// <inheritdoc />
    public torch.Tensor Get(string name, long[] shape)
    {
        var tensor = torch.randn(shape, torch.float32, generator: _generator);
        if (name.EndsWith("norm.weight", StringComparison.Ordinal))
        {
            tensor.TimesInPlace(0.1).PlusInPlace(1);
        }
        else
        {
            tensor.TimesInPlace(std);
        }
        return tensor;
    }
}
