using Platform.Inference.Model;
using static TorchSharp.torch;

namespace Platform.Inference.Lora;

/// <summary>
/// Applies a different LoRA adapter (or none) to each row of one batched forward, in one gathered
/// batched matmul per projection (the S-LoRA/Punica "BGMV" idea without custom kernels): the
/// adapters' A and B are stacked (zero-padded to the largest rank, slot 0 all zeros for rows
/// without an adapter), gathered per row and multiplied with bmm. A base row adds exact zeros,
/// so it equals the base model's output. The row slots are copied to the model's device once per
/// step, not once per projection.
/// </summary>
public sealed class LoraBatchDelta : ILowRankDelta, IDisposable
{
    private readonly Dictionary<string, (Tensor A, Tensor B)> _stacks = new(StringComparer.Ordinal);
    private readonly Device _device;
    private Tensor _rows;

    /// <summary>Stacks <paramref name="adapters"/> (slot i + 1 holds adapters[i]).</summary>
    public LoraBatchDelta(IReadOnlyList<LoraAdapter> adapters, LlamaForCausalLM model)
    {
        Adapters = adapters;
        _device = model.Device;
        var rank = adapters.Max(a => a.Rank);
        var modules = adapters.SelectMany(a => a.Modules.Keys).Distinct(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            var projection = model.Projections[module];
            var a = zeros([adapters.Count + 1, rank, projection.InFeatures], device: model.Device);
            var b = zeros([adapters.Count + 1, projection.OutFeatures, rank], device: model.Device);
            for (var i = 0; i < adapters.Count; i++)
            {
                if (adapters[i].Modules.TryGetValue(module, out var weights))
                {
                    var r = adapters[i].Rank;
                    a[i + 1].narrow(0, 0, r).copy_(weights.A);
                    b[i + 1].narrow(1, 0, r).copy_(weights.B);
                }
            }
            _stacks[module] = (a.DetachFromDisposeScope(), b.DetachFromDisposeScope());
        }
        _rows = zeros([1], ScalarType.Int64, device: _device).DetachFromDisposeScope();
    }

    /// <summary>The stacked adapters, in slot order from 1.</summary>
    public IReadOnlyList<LoraAdapter> Adapters { get; }

    /// <summary>
    /// Sets the slot of each batch row for the next forward: 0 for none, i + 1 for
    /// <see cref="Adapters"/>[i].
    /// </summary>
    public void SetRows(long[] slots)
    {
        _rows.Dispose();
        _rows = TorchScalars.OnDevice(tensor(slots, ScalarType.Int64), _device).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Apply(string module, Tensor input, Tensor output)
    {
        if (!_stacks.TryGetValue(module, out var stack))
        {
            return output;
        }
        using var scope = NewDisposeScope();
        var a = stack.A.index_select(0, _rows);
        var b = stack.B.index_select(0, _rows);
        var delta = bmm(bmm(input, a.transpose(1, 2)), b.transpose(1, 2));
        return output.Plus(delta).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (a, b) in _stacks.Values)
        {
            a.Dispose();
            b.Dispose();
        }
        _rows.Dispose();
    }
}
