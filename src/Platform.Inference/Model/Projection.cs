using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>A bias-optional linear layer whose weight ([out, in]) comes from a checkpoint key.</summary>
public sealed class Projection : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly Parameter weight;
    private readonly Parameter? bias;
#pragma warning restore IDE1006

    /// <summary>Loads "<paramref name="prefix"/>.weight" (and ".bias" when <paramref name="hasBias"/>).</summary>
    public Projection(IWeightSource weights, string prefix, long inFeatures, long outFeatures, bool hasBias)
        : base(prefix)
    {
        weight = new Parameter(weights.Get(prefix + ".weight", [outFeatures, inFeatures]), requires_grad: false);
        if (hasBias)
        {
            bias = new Parameter(weights.Get(prefix + ".bias", [outFeatures]), requires_grad: false);
        }
        RegisterComponents();
    }

    /// <summary>The [out, in] weight matrix.</summary>
    public Tensor Weight => weight;

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => nn.functional.linear(input, weight, bias);
}
