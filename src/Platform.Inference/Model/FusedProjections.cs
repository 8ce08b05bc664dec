using Platform.Inference.Kernels;
using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>
/// Projections that read the same input (q, k and v; gate and up) with their weights stored as one matrix, rows
/// stacked, so inference runs one product instead of one per projection (what vLLM's QKVParallelLinear and
/// MergedColumnParallelLinear do). The members keep their own parameters, now row ranges of the stacked matrix,
/// so checkpoint keys, LoRA targets, training and merging adapter weights in place all see the same storage.
/// </summary>
public sealed class FusedProjections : IDisposable
{
    private readonly Tensor _weight;
    private readonly Tensor? _bias;

    /// <summary>Stacks <paramref name="members"/>' weights (and biases, when every member has one) on their device.</summary>
    public FusedProjections(string key, IReadOnlyList<Projection> members)
    {
        Key = key;
        Members = members;
        using var noGrad = no_grad();
        _weight = cat(members.Select(m => m.Weight).ToArray(), 0).DetachFromDisposeScope();
        if (members.All(m => m.Bias is not null))
        {
            _bias = cat(members.Select(m => m.Bias!).ToArray(), 0).DetachFromDisposeScope();
        }
        long offset = 0;
        foreach (var member in members)
        {
            var rows = member.OutFeatures;
            member.Weight.set_(_weight.narrow(0, offset, rows));
            member.Bias?.set_(_bias!.narrow(0, offset, rows));
            offset += rows;
        }
    }

    /// <summary>The group's key, e.g. "model.layers.0.self_attn.qkv_proj" (what <see cref="ILowRankDelta.Apply"/> is given).</summary>
    public string Key { get; }

    /// <summary>The member projections, in the order their outputs are stacked.</summary>
    public IReadOnlyList<Projection> Members { get; }

    /// <summary>The members' outputs side by side, [.., Σ out], with the delta applied to the group when there is one.</summary>
    public Tensor Forward(Tensor input, ILowRankDelta? delta)
    {
        var output = CpuGemv.Linear(input, _weight, _bias);
        return delta is null ? output : delta.Apply(Key, input, output);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _weight.Dispose();
        _bias?.Dispose();
    }
}
