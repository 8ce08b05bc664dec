using Platform.Inference.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Platform.Inference.Embeddings;

/// <summary>
/// A BERT encoder (Hugging Face <c>BertModel</c>: word + position + token-type embeddings, post-norm
/// transformer layers with exact-erf GELU) over weights read from safetensors, with or without the
/// <c>bert.</c> key prefix. Returns the last hidden states; pooling is the caller's.
/// </summary>
public sealed class BertEncoder : IDisposable
{
    private readonly BertConfig _config;
    private readonly Dictionary<string, Tensor> _w = new(StringComparer.Ordinal);

    private BertEncoder(BertConfig config) => _config = config;

    public BertConfig Config => _config;

    public static BertEncoder Load(BertConfig config, string safetensorsPath)
    {
        using var file = SafetensorsFile.Open(safetensorsPath);
        var prefix = file.Tensors.ContainsKey("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        var encoder = new BertEncoder(config);
        try
        {
            void Take(string name, params long[] shape)
            {
                if (!file.Tensors.ContainsKey(prefix + name))
                {
                    throw new ModelLoadException(safetensorsPath, prefix + name, "is missing from the checkpoint");
                }
                var t = file.ReadTensor(prefix + name, ScalarType.Float32);
                if (!t.shape.SequenceEqual(shape))
                {
                    throw new ModelLoadException(safetensorsPath, prefix + name, $"has shape [{string.Join(',', t.shape)}], expected [{string.Join(',', shape)}]");
                }
                encoder._w[name] = t;
            }
            long h = config.HiddenSize, i = config.IntermediateSize;
            Take("embeddings.word_embeddings.weight", config.VocabSize, h);
            Take("embeddings.position_embeddings.weight", config.MaxPositions, h);
            Take("embeddings.token_type_embeddings.weight", config.TypeVocabSize, h);
            Take("embeddings.LayerNorm.weight", h);
            Take("embeddings.LayerNorm.bias", h);
            for (var l = 0; l < config.Layers; l++)
            {
                var p = $"encoder.layer.{l}.";
                foreach (var name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
                {
                    Take(p + name + ".weight", h, h);
                    Take(p + name + ".bias", h);
                }
                Take(p + "attention.output.LayerNorm.weight", h);
                Take(p + "attention.output.LayerNorm.bias", h);
                Take(p + "intermediate.dense.weight", i, h);
                Take(p + "intermediate.dense.bias", i);
                Take(p + "output.dense.weight", h, i);
                Take(p + "output.dense.bias", h);
                Take(p + "output.LayerNorm.weight", h);
                Take(p + "output.LayerNorm.bias", h);
            }
            return encoder;
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Last hidden states [batch, length, hidden] for token ids [batch, length] with attention mask (1 = token, 0 = padding).</summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var length = inputIds.shape[1];
        var positions = TorchScalars.Range(0, length, CPU).unsqueeze(0);
        var x = Lookup("embeddings.word_embeddings.weight", inputIds)
            .Plus(Lookup("embeddings.position_embeddings.weight", positions))
            .Plus(Lookup("embeddings.token_type_embeddings.weight", zeros_like(inputIds)));
        x = Norm(x, "embeddings.LayerNorm");
        // Additive mask: 0 where attending, a large negative where padding. [batch, 1, 1, length]
        var bias = attentionMask.to_type(ScalarType.Float32).Plus(-1).Times(1e9).unsqueeze(1).unsqueeze(1);
        for (var l = 0; l < _config.Layers; l++)
        {
            x = Layer(x, bias, $"encoder.layer.{l}.");
        }
        return x.MoveToOuterDisposeScope();
    }

    private Tensor Layer(Tensor x, Tensor bias, string p)
    {
        long batch = x.shape[0], length = x.shape[1];
        Tensor Heads(Tensor t) => t.view(batch, length, _config.Heads, _config.HeadDim).transpose(1, 2);
        var q = Heads(Linear(x, p + "attention.self.query"));
        var k = Heads(Linear(x, p + "attention.self.key"));
        var v = Heads(Linear(x, p + "attention.self.value"));
        var scores = q.matmul(k.transpose(-1, -2)).Times(1 / Math.Sqrt(_config.HeadDim)).Plus(bias);
        var context = F.softmax(scores, -1).matmul(v).transpose(1, 2).reshape(batch, length, _config.HiddenSize);
        x = Norm(Linear(context, p + "attention.output.dense").Plus(x), p + "attention.output.LayerNorm");
        var hidden = F.gelu(Linear(x, p + "intermediate.dense"));
        return Norm(Linear(hidden, p + "output.dense").Plus(x), p + "output.LayerNorm");
    }

    private Tensor Lookup(string name, Tensor ids) =>
        _w[name].index_select(0, ids.reshape(-1)).reshape(ids.shape[0], ids.shape[1], -1);

    private Tensor Linear(Tensor x, string name) => F.linear(x, _w[name + ".weight"], _w[name + ".bias"]);

    private Tensor Norm(Tensor x, string name) =>
        F.layer_norm(x, [_config.HiddenSize], _w[name + ".weight"], _w[name + ".bias"], _config.LayerNormEps);

    public void Dispose()
    {
        foreach (var t in _w.Values)
        {
            t.Dispose();
        }
        _w.Clear();
    }
}
