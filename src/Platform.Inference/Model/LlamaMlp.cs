using Platform.Inference.Kernels;
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

    private FusedProjections? _gateUp;

    /// <summary>The stacked gate/up projection, once fused.</summary>
    public FusedProjections? Fused => _gateUp;

    /// <summary>Stacks the gate and up weights so inference projects both in one product.</summary>
    public void FuseProjections()
    {
        _gateUp?.Dispose();
        _gateUp = new FusedProjections(gate_proj.Key[..^"gate_proj".Length] + "gate_up_proj", [gate_proj, up_proj]);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor gated;
        var delta = gate_proj.Delta;
        if (_gateUp is not null && !is_grad_enabled() && (delta is null || delta.AppliesToFusedGroups))
        {
            var both = _gateUp.Forward(input, delta);
            var size = gate_proj.OutFeatures;
            gated = CpuElementwise.SiluAndMul(both, size);
        }
        else
        {
            gated = nn.functional.silu(gate_proj.forward(input)).mul_(up_proj.forward(input));
        }
        return down_proj.forward(gated).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gateUp?.Dispose();
        }
        base.Dispose(disposing);
    }
}
