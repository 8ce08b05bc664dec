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
/// mask is copied to the model's device once per step, not once per projection. For a stacked group
/// (<see cref="FusedProjections"/>: q/k/v, gate/up) the members' blocks sit side by side on the rank axis and B is
/// block-diagonal, so the whole group's delta is still two products, the second added in place. Adapters with
/// trainable token rows also replace, for their own batch rows only, the input embeddings of those ids and (with a
/// tied head) their logits (<see cref="ITokenDelta"/>).
/// </summary>
public sealed class LoraBatchDelta : ILowRankDelta, ITokenDelta, IDisposable
{
    private readonly Dictionary<string, Stack?> _stacks = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Tensor> _groupMasks = [];
    private readonly LlamaForCausalLM _model;
    private readonly Device _device;
    private readonly List<TokenRows> _tokens = [];
    private readonly int _rank;
    private Tensor _rowMask;

    /// <summary>
    /// The adapters' A and B for one projection or one stacked group of <paramref name="members"/> projections: the rank
    /// axis holds member j's block of adapter i at (j · adapters + i) · rank, and B is block-diagonal over the members.
    /// </summary>
    private sealed record Stack(Tensor A, Tensor B, int Members)
    {
        /// <summary>Bᵀ as a view, made once rather than on every forward.</summary>
        public Tensor BTransposed { get; } = B.t().DetachFromDisposeScope();
    }

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
        _model = model;
        _device = model.Device;
        _rank = adapters.Max(a => a.Rank);
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
        // Every stack now, while the adapters are certainly alive: an adapter no sequence leases any more may be
        // evicted and disposed while this delta still serves the others.
        foreach (var key in model.FusedGroups.Keys.Concat(model.Projections.Keys.Where(k => !model.FusedGroups.Values.Any(g => g.Members.Any(m => m.Key == k)))))
        {
            StackFor(key);
        }
    }

    /// <summary>Whether <paramref name="adapter"/> (this load of it) is stacked here.</summary>
    public bool Holds(LoraAdapter adapter) => SlotOf(adapter) > 0;

    /// <summary>The slot of <paramref name="adapter"/> for <see cref="SetRows"/> (i + 1 for <see cref="Adapters"/>[i]), 0 when not stacked.</summary>
    public long SlotOf(LoraAdapter adapter)
    {
        for (var i = 0; i < Adapters.Count; i++)
        {
            if (Adapters[i].LoadId == adapter.LoadId)
            {
                return i + 1;
            }
        }
        return 0;
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
        foreach (var groupMask in _groupMasks.Values)
        {
            groupMask.Dispose();
        }
        _groupMasks.Clear();
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
    public bool AppliesToFusedGroups => true;

    /// <inheritdoc />
    public Tensor Apply(string module, Tensor input, Tensor output)
    {
        if (StackFor(module) is not { } stack)
        {
            return output;
        }
        // Every adapter's down-projection for every row, each row's own block kept, then every up-projection added
        // in place: two products and a mask instead of gathering each row's A and B. No dispose scope: one
        // intermediate, freed here, and every TorchSharp call counts when the GPU waits on the host.
        using var down = CpuGemv.Linear(input, stack.A);
        down.mul_(MaskFor(stack.Members));
        CpuGemv.AddLinear(output, down, stack.B, stack.BTransposed);
        return output;
    }

    private Tensor MaskFor(int members)
    {
        if (members == 1)
        {
            return _rowMask;
        }
        if (!_groupMasks.TryGetValue(members, out var mask))
        {
            mask = _rowMask.repeat(1, 1, members).DetachFromDisposeScope();
            _groupMasks[members] = mask;
        }
        return mask;
    }

    /// <summary>The stacked weights for a projection key or a <see cref="FusedProjections.Key"/>; null when no adapter adapts it.</summary>
    private Stack? StackFor(string key)
    {
        if (_stacks.TryGetValue(key, out var cached))
        {
            return cached;
        }
        IReadOnlyList<Projection> members = _model.FusedGroups.TryGetValue(key, out var group) ? group.Members
            : _model.Projections.TryGetValue(key, out var single) ? [single] : [];
        Stack? stack = null;
        if (members.Any(m => Adapters.Any(a => a.Modules.ContainsKey(m.Key))))
        {
            using var scope = NewDisposeScope();
            var width = Adapters.Count * _rank;
            var a = zeros([members.Count * width, members[0].InFeatures], device: _device);
            var b = zeros([members.Sum(m => m.OutFeatures), members.Count * width], device: _device);
            long row = 0;
            for (var j = 0; j < members.Count; j++)
            {
                for (var i = 0; i < Adapters.Count; i++)
                {
                    if (Adapters[i].Modules.TryGetValue(members[j].Key, out var weights))
                    {
                        var r = Adapters[i].Rank;
                        a.narrow(0, j * width + i * _rank, r).copy_(weights.A);
                        b.narrow(0, row, members[j].OutFeatures).narrow(1, j * width + i * _rank, r).copy_(weights.B);
                    }
                }
                row += members[j].OutFeatures;
            }
            stack = new Stack(a.DetachFromDisposeScope(), b.DetachFromDisposeScope(), members.Count);
        }
        _stacks[key] = stack;
        return stack;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var stack in _stacks.Values.OfType<Stack>())
        {
            stack.BTransposed.Dispose();
            stack.A.Dispose();
            stack.B.Dispose();
        }
        foreach (var mask in _groupMasks.Values)
        {
            mask.Dispose();
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
