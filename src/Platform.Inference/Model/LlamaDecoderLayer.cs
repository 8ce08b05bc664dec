using static TorchSharp.torch;

namespace Platform.Inference.Model;

/// <summary>One pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(·)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // fields are named like checkpoint keys
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LlamaMlp mlp;
#pragma warning restore IDE1006

    /// <summary>Loads "model.layers.<paramref name="layer"/>.*".</summary>
    public LlamaDecoderLayer(LlamaConfig config, IWeightSource weights, int layer) : base($"model.layers.{layer}")
    {
        var prefix = $"model.layers.{layer}";
        input_layernorm = new RmsNorm(weights, prefix + ".input_layernorm", config.HiddenSize, config.RmsNormEps);
        self_attn = new LlamaAttention(config, weights, prefix + ".self_attn", layer);
        post_attention_layernorm = new RmsNorm(weights, prefix + ".post_attention_layernorm", config.HiddenSize, config.RmsNormEps);
        mlp = new LlamaMlp(config, weights, prefix + ".mlp");
        RegisterComponents();
    }

    /// <summary>Stacks the attention's q/k/v weights and the MLP's gate/up weights.</summary>
    public void FuseProjections()
    {
        self_attn.FuseProjections();
        mlp.FuseProjections();
    }

    /// <summary>This layer's stacked projections.</summary>
    public IEnumerable<FusedProjections> FusedGroups => new[] { self_attn.Fused, mlp.Fused }.OfType<FusedProjections>();

    /// <summary>Runs the block; see <see cref="LlamaAttention.forward"/> for the arguments.</summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, IKvCache? cache, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(self_attn.forward(input_layernorm.forward(x), cos, sin, cache, mask));
        var output = h.Plus(mlp.forward(post_attention_layernorm.forward(h)));
        return output.MoveToOuterDisposeScope();
    }
}
