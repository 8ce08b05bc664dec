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

    /// <summary>
    /// Attends <paramref name="x"/> [B, T, hidden] given rotary cos/sin [B, 1, T, head_dim].
    /// <paramref name="mask"/> is a boolean [T, S] (true = may attend) or null for "causal from
    /// position 0" when there is no history, or no restriction for a single query position.
    /// </summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, IKvCache? cache, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        var q = q_proj.forward(x).view(batch, length, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(batch, length, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(batch, length, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
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

    private Tensor RepeatKv(Tensor kv)
    {
        long batch = kv.shape[0], length = kv.shape[2];
        var groups = _heads / _kvHeads;
        return kv.unsqueeze(2).expand(batch, _kvHeads, groups, length, _headDim).reshape(batch, _heads, length, _headDim);
    }
}
