using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>Grouped-query self-attention with rotary embeddings and an optional KV cache.</summary>
public sealed class LlamaAttention : nn.Module
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly Projection q_proj;
    private readonly Projection k_proj;
    private readonly Projection v_proj;
    private readonly Projection o_proj;
#pragma warning restore IDE1006
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly int _layer;
    private FusedProjections? _qkv;

    /// <summary>Loads "<paramref name="prefix"/>.{q,k,v,o}_proj" for decoder layer <paramref name="layer"/>.</summary>
    public LlamaAttention(LlamaConfig config, IWeightSource weights, string prefix, int layer) : base(prefix)
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _layer = layer;
        long hidden = config.HiddenSize, q = (long)_heads * _headDim, kv = (long)_kvHeads * _headDim;
        q_proj = new Projection(weights, prefix + ".q_proj", hidden, q, config.QkvBias);
        k_proj = new Projection(weights, prefix + ".k_proj", hidden, kv, config.QkvBias);
        v_proj = new Projection(weights, prefix + ".v_proj", hidden, kv, config.QkvBias);
        o_proj = new Projection(weights, prefix + ".o_proj", q, hidden, config.OutputBias);
        RegisterComponents();
    }

    /// <summary>The stacked q/k/v projection, once fused.</summary>
    public FusedProjections? Fused => _qkv;

    /// <summary>Stacks the q, k and v weights so inference projects all three in one product.</summary>
    public void FuseProjections()
    {
        _qkv?.Dispose();
        _qkv = new FusedProjections(q_proj.Key[..^"q_proj".Length] + "qkv_proj", [q_proj, k_proj, v_proj]);
    }

    /// <summary>
    /// Attends <paramref name="x"/> [B, T, hidden] given rotary cos and signed sin [B, T, 1, head_dim].
    /// <paramref name="mask"/> is a boolean [T, S] (true = may attend) or null for "causal from
    /// position 0" when there is no history, or no restriction for a single query position.
    /// </summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, IKvCache? cache, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        Tensor q, k, v;
        var delta = q_proj.Delta;
        if (_qkv is not null && !is_grad_enabled() && (delta is null || delta.AppliesToFusedGroups))
        {
            // One product for q, k and v, one rotation for q and k; the slices are views, so the cache's
            // writes read k and v where the product left them.
            var qkv = _qkv.Forward(x, delta).view(batch, length, _heads + 2 * _kvHeads, _headDim);
            var rotated = RotaryEmbedding.Apply(qkv.narrow(2, 0, _heads + _kvHeads), cos, sin);
            q = rotated.narrow(2, 0, _heads);
            k = rotated.narrow(2, _heads, _kvHeads);
            v = qkv.narrow(2, _heads + _kvHeads, _kvHeads);
        }
        else
        {
            q = RotaryEmbedding.Apply(q_proj.forward(x).view(batch, length, _heads, _headDim), cos, sin);
            k = RotaryEmbedding.Apply(k_proj.forward(x).view(batch, length, _kvHeads, _headDim), cos, sin);
            v = v_proj.forward(x).view(batch, length, _kvHeads, _headDim);
        }
        q = q.transpose(1, 2);
        k = k.transpose(1, 2);
        v = v.transpose(1, 2);
        if (cache?.Attend(_layer, q, k, v) is { } direct)
        {
            return o_proj.forward(direct).MoveToOuterDisposeScope();
        }
        if (cache is not null)
        {
            (k, v) = cache.Append(_layer, k, v);
        }
        if (_kvHeads != _heads)
        {
            k = RepeatKv(k);
            v = RepeatKv(v);
        }
        var causal = mask is null && length > 1;
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, mask, is_casual: causal);
        var merged = attended.transpose(1, 2).reshape(batch, length, _heads * _headDim);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _qkv?.Dispose();
        }
        base.Dispose(disposing);
    }

    private Tensor RepeatKv(Tensor kv)
    {
        long batch = kv.shape[0], length = kv.shape[2];
        var groups = _heads / _kvHeads;
        return kv.unsqueeze(2).expand(batch, _kvHeads, groups, length, _headDim).reshape(batch, _heads, length, _headDim);
    }
}
