using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>RMSNorm as in Hugging Face Llama: x · rsqrt(mean(x²) + eps) · weight.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly Parameter weight;
#pragma warning restore IDE1006
    private readonly double _eps;

    /// <summary>Loads "<paramref name="prefix"/>.weight" of length <paramref name="size"/>.</summary>
    public RmsNorm(IWeightSource weights, string prefix, long size, double eps) : base(prefix)
    {
        weight = new Parameter(weights.Get(prefix + ".weight", [size]), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // input * input, not square() or pow(2): both pass TorchSharp a Scalar (see TorchScalars).
        var variance = (input * input).mean([-1], keepdim: true);
        return (input * variance.Plus(_eps).rsqrt() * weight).MoveToOuterDisposeScope();
    }
}
