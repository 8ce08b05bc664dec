using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>The token embedding table [vocab, hidden] ("model.embed_tokens.weight").</summary>
public sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly Parameter weight;
#pragma warning restore IDE1006

    /// <summary>Loads "<paramref name="prefix"/>.weight".</summary>
    public TokenEmbedding(IWeightSource weights, string prefix, long vocab, long hidden) : base(prefix)
    {
        weight = new Parameter(weights.Get(prefix + ".weight", [vocab, hidden]), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>The [vocab, hidden] table (also the output matrix when embeddings are tied).</summary>
    public Tensor Weight => weight;

    /// <summary>Looks up <paramref name="input"/> (int64 [B, T]) → [B, T, hidden].</summary>
    public override Tensor forward(Tensor input)
    {
        long[] shape = [.. input.shape, weight.shape[1]];
        return weight.index_select(0, input.reshape(-1)).view(shape);
    }
}
