using Platform.Inference.Kernels;
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
    private readonly string _key;

    /// <summary>Loads "<paramref name="prefix"/>.weight" (and ".bias" when <paramref name="hasBias"/>).</summary>
    public Projection(IWeightSource weights, string prefix, long inFeatures, long outFeatures, bool hasBias)
        : base(prefix)
    {
        _key = prefix;
        weight = new Parameter(weights.Get(prefix + ".weight", [outFeatures, inFeatures]), requires_grad: false);
        if (hasBias)
        {
            bias = new Parameter(weights.Get(prefix + ".bias", [outFeatures]), requires_grad: false);
        }
        RegisterComponents();
    }

    /// <summary>The [out, in] weight matrix.</summary>
    public Tensor Weight => weight;

    /// <summary>The [out] bias, when the checkpoint has one.</summary>
    public Tensor? Bias => bias;

    /// <summary>The checkpoint key without ".weight" (e.g. "model.layers.0.self_attn.q_proj").</summary>
    public string Key => _key;

    /// <summary>Output features.</summary>
    public long OutFeatures => weight.shape[0];

    /// <summary>Input features.</summary>
    public long InFeatures => weight.shape[1];

    /// <summary>An addition applied after the base product (LoRA); null for the base weights only.</summary>
    public ILowRankDelta? Delta { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var output = CpuGemv.Linear(input, weight, bias);
        return Delta is { } delta ? delta.Apply(_key, input, output) : output;
    }
}
