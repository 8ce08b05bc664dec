using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly Projection gate_proj;
    private readonly Projection up_proj;
    private readonly Projection down_proj;
#pragma warning restore IDE1006

    /// <summary>Loads "<paramref name="prefix"/>.{gate,up,down}_proj".</summary>
    public LlamaMlp(LlamaConfig config, IWeightSource weights, string prefix) : base(prefix)
    {
        gate_proj = new Projection(weights, prefix + ".gate_proj", config.HiddenSize, config.IntermediateSize, config.MlpBias);
        up_proj = new Projection(weights, prefix + ".up_proj", config.HiddenSize, config.IntermediateSize, config.MlpBias);
        down_proj = new Projection(weights, prefix + ".down_proj", config.IntermediateSize, config.HiddenSize, config.MlpBias);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate_proj.forward(input)).mul_(up_proj.forward(input));
        return down_proj.forward(gated).MoveToOuterDisposeScope();
    }
}
