using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>The decoder stack ("model.*"): embeddings, layers and final norm, producing hidden states.</summary>
public sealed class LlamaModel : nn.Module
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly TokenEmbedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
#pragma warning restore IDE1006
    private readonly RotaryEmbedding _rotary;

    /// <summary>Builds the stack from <paramref name="weights"/>, rotary tables on <paramref name="device"/>.</summary>
    public LlamaModel(LlamaConfig config, IWeightSource weights, Device device) : base("model")
    {
        embed_tokens = new TokenEmbedding(weights, "model.embed_tokens", config.VocabSize, config.HiddenSize);
        layers = new ModuleList<LlamaDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, weights, i)).ToArray());
        norm = new RmsNorm(weights, "model.norm", config.HiddenSize, config.RmsNormEps);
        _rotary = new RotaryEmbedding(config, device);
        RegisterComponents();
    }

    /// <summary>Stacks each layer's q/k/v and gate/up weights (<see cref="FusedProjections"/>); call once the weights are on their device.</summary>
    public void FuseProjections()
    {
        foreach (var layer in layers)
        {
            layer.FuseProjections();
        }
    }

    /// <summary>The stacked projections by <see cref="FusedProjections.Key"/> (empty before <see cref="FuseProjections"/>).</summary>
    public IEnumerable<FusedProjections> FusedGroups => layers.SelectMany(layer => layer.FusedGroups);

    /// <summary>The embedding table.</summary>
    public TokenEmbedding Embeddings => embed_tokens;

    /// <summary>Replacement rows of the embedding table for the next forwards; null for the base table only.</summary>
    public ITokenDelta? TokenDelta { get; set; }

    /// <summary>
    /// Hidden states [B, T, hidden] for <paramref name="inputIds"/> at <paramref name="positions"/>
    /// (both int64 [B, T]). With a cache, the new keys/values are appended and committed.
    /// </summary>
    public Tensor forward(Tensor inputIds, Tensor positions, IKvCache? cache, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var length = inputIds.shape[1];
        var past = cache?.SequenceLength ?? 0;
        var (cos, sin) = _rotary.Lookup(positions);
        cos = cos.unsqueeze(2);
        sin = sin.unsqueeze(2);
        var mask = attentionMask ?? (length > 1 && past > 0 ? CausalMask(length, past, inputIds.device) : null);
        if (mask is not null && mask.dtype == ScalarType.Bool)
        {
            // Once per forward rather than inside every layer's attention call.
            mask = Additive(mask);
        }
        var h = embed_tokens.forward(inputIds);
        if (TokenDelta is { } tokens)
        {
            h = tokens.Embed(inputIds, h);
        }
        foreach (var layer in layers)
        {
            h = layer.forward(h, cos, sin, cache, mask);
        }
        cache?.Advance((int)length);
        return norm.forward(h).MoveToOuterDisposeScope();
    }

    private static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary>A boolean mask (true = may attend) as the additive F32 mask attention adds to its scores.</summary>
    private static Tensor Additive(Tensor mask)
    {
        var additive = zeros(mask.shape, ScalarType.Float32, mask.device).masked_fill_(mask.logical_not(), NegativeInfinity);
        GC.KeepAlive(mask);
        return additive;
    }

    private static Tensor CausalMask(long length, long past, Device device)
    {
        // Query i sits at absolute position past + i and may see keys 0..past + i.
        var query = TorchScalars.Range(past, past + length, device).unsqueeze(1);
        var key = TorchScalars.Range(0, past + length, device).unsqueeze(0);
        return key.le(query);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rotary.Dispose();
        }
        base.Dispose(disposing);
    }
}
