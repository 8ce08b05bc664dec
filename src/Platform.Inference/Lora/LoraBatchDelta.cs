using Platform.Inference.Kernels;
using Platform.Inference.Model;
using static TorchSharp.torch;

namespace Platform.Inference.Lora;

/// <summary>
/// Applies a different LoRA adapter (or none) to each row of one batched forward (what S-LoRA/Punica's
/// BGMV kernels do, here with two plain products per projection): the adapters' A are concatenated along
/// the rank axis (each zero-padded to the largest rank), so x·A_allᵀ is every adapter's down-projection of
/// every row; a per-row mask keeps only the row's own adapter's block (all zeros for a row without one),
/// and ·B_all (Bᵀ concatenated the same way) is the row's own delta. A base row adds exact zeros, so it equals
/// the base model's output. Unlike gathering each row's A and B, nothing the size of the weights is copied per
/// step; the extra arithmetic is rows × adapters × rank × (in + out), small next to the base products. The row
/// mask is copied to the model's device once per step, not once per projection. Adapters with trainable token rows also replace, for their own batch
/// rows only, the input embeddings of those ids and (with a tied head) their logits (<see cref="ITokenDelta"/>).
/// </summary>
public sealed class LoraBatchDelta : ILowRankDelta, ITokenDelta, IDisposable
{
    private readonly Dictionary<string, (Tensor A, Tensor B)> _stacks = new(StringComparer.Ordinal);
    private readonly Device _device;
    private readonly List<TokenRows> _tokens = [];
    private readonly int _rank;
    private Tensor _rowMask;

    /// <summary>One adapter's token rows on the model's device: its slot, ids, id → row (−1 for others) and rows; and which batch rows use it.</summary>
    private sealed class TokenRows(long slot, Tensor ids, Tensor rowOf, Tensor rows)
    {
        public long Slot { get; } = slot;
        public Tensor Ids { get; } = ids;
        public Tensor RowOf { get; } = rowOf;
        public Tensor Rows { get; } = rows;
        public Tensor? Mine { get; set; }
    }

    /// <summary>Stacks <paramref name="adapters"/> (slot i + 1 in <see cref="SetRows"/> is adapters[i]).</summary>
    public LoraBatchDelta(IReadOnlyList<LoraAdapter> adapters, LlamaForCausalLM model)
    {
        Adapters = adapters;
        _device = model.Device;
        _rank = adapters.Max(a => a.Rank);
        var modules = adapters.SelectMany(a => a.Modules.Keys).Distinct(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            var projection = model.Projections[module];
            // Adapter i's A rows and B columns sit in block i of the rank axis (zero-padded to the largest rank),
            // both [out, in] as linear takes them.
            var a = zeros([adapters.Count * _rank, projection.InFeatures], device: model.Device);
            var b = zeros([projection.OutFeatures, adapters.Count * _rank], device: model.Device);
            for (var i = 0; i < adapters.Count; i++)
            {
                if (adapters[i].Modules.TryGetValue(module, out var weights))
                {
                    var r = adapters[i].Rank;
                    a.narrow(0, i * _rank, r).copy_(weights.A);
                    b.narrow(1, i * _rank, r).copy_(weights.B);
                }
            }
            _stacks[module] = (a.DetachFromDisposeScope(), b.DetachFromDisposeScope());
        }
        _rowMask = zeros([1, 1, adapters.Count * _rank], device: _device).DetachFromDisposeScope();
        for (var i = 0; i < adapters.Count; i++)
        {
            if (adapters[i].Tokens is { } tokens)
            {
                using var scope = NewDisposeScope();
                var rowOf = full(model.Config.VocabSize, -1L, ScalarType.Int64);
                for (var k = 0; k < tokens.Indices.Count; k++)
                {
                    rowOf[tokens.Indices[k]] = k;
                }
                _tokens.Add(new TokenRows(i + 1,
                    tensor(tokens.Indices.Select(t => (long)t).ToArray(), ScalarType.Int64).to(_device).DetachFromDisposeScope(),
                    rowOf.to(_device).DetachFromDisposeScope(),
                    tokens.Rows.to(_device).DetachFromDisposeScope()));
            }
        }
    }

    /// <summary>Whether any stacked adapter has trainable token rows (then serving sets this as the model's token delta too).</summary>
    public bool HasTokens => _tokens.Count > 0;

    /// <summary>The stacked adapters, in slot order from 1.</summary>
    public IReadOnlyList<LoraAdapter> Adapters { get; }

    /// <summary>
    /// Sets the slot of each batch row for the next forward: 0 for none, i + 1 for
    /// <see cref="Adapters"/>[i].
    /// </summary>
    public void SetRows(long[] slots)
    {
        _rowMask.Dispose();
        var width = Adapters.Count * _rank;
        var mask = new float[slots.Length * width];
        for (var row = 0; row < slots.Length; row++)
        {
            if (slots[row] > 0)
            {
                Array.Fill(mask, 1f, row * width + (int)(slots[row] - 1) * _rank, _rank);
            }
        }
        _rowMask = TorchScalars.OnDevice(tensor(mask, [slots.Length, 1, width]), _device).DetachFromDisposeScope();
        foreach (var tokens in _tokens)
        {
            tokens.Mine?.Dispose();
            tokens.Mine = TorchScalars.OnDevice(tensor(slots.Select(s => s == tokens.Slot).ToArray()), _device).DetachFromDisposeScope();
        }
    }

    /// <inheritdoc />
    public Tensor Embed(Tensor inputIds, Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        foreach (var tokens in _tokens)
        {
            var rowOf = tokens.RowOf.index_select(0, inputIds.reshape(-1)).view(inputIds.shape);
            var replace = rowOf.ge(0).logical_and(tokens.Mine!.view(-1, 1));
            var rows = tokens.Rows.index_select(0, rowOf.clamp_min(0).reshape(-1)).view(embeddings.shape);
            embeddings = where(replace.unsqueeze(-1), rows, embeddings);
        }
        return embeddings.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Logits(Tensor hidden, Tensor logits)
    {
        using var scope = NewDisposeScope();
        var last = logits.dim() - 1;
        foreach (var tokens in _tokens)
        {
            var own = hidden.matmul(tokens.Rows.t());
            var current = logits.index_select(last, tokens.Ids);
            logits = logits.index_copy(last, tokens.Ids, where(tokens.Mine!.view(-1, 1, 1), own, current));
        }
        return logits.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Apply(string module, Tensor input, Tensor output)
    {
        if (!_stacks.TryGetValue(module, out var stack))
        {
            return output;
        }
        using var scope = NewDisposeScope();
        // Every adapter's down-projection for every row, each row's own block kept, then every up-projection:
        // two plain products and a mask instead of gathering each row's A and B.
        var delta = CpuGemv.Linear(CpuGemv.Linear(input, stack.A).mul_(_rowMask), stack.B);
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
        _rowMask.Dispose();
        foreach (var tokens in _tokens)
        {
            tokens.Ids.Dispose();
            tokens.RowOf.Dispose();
            tokens.Rows.Dispose();
            tokens.Mine?.Dispose();
        }
    }
}
