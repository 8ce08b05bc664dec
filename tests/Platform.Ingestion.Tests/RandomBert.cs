using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Platform.Ingestion.Tests;

/// <summary>
/// A random-weight sentence-transformers BERT folder written by the test itself (its own safetensors
/// writer), plus an independent naive forward pass over plain arrays to check the TorchSharp encoder.
/// </summary>
public sealed class RandomBert
{
    public const int Hidden = 16, Heads = 2, Layers = 2, Intermediate = 24, MaxPositions = 32;

    public static readonly string[] Vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "keeper", "saw", "birds", "light", "##house", "sea", "calm", "."];

    public Dictionary<string, float[]> W { get; } = [];

    private readonly Dictionary<string, long[]> _shapes = [];

    public RandomBert(int seed = 7)
    {
        var random = new Random(seed);
        void Add(string name, params long[] shape)
        {
            var n = (int)shape.Aggregate(1L, (a, b) => a * b);
            var isNormWeight = name.EndsWith("LayerNorm.weight", StringComparison.Ordinal);
            W[name] = Enumerable.Range(0, n).Select(_ => isNormWeight ? 1f + (float)(random.NextDouble() - 0.5) * 0.2f : (float)(random.NextDouble() * 2 - 1) * 0.3f).ToArray();
            _shapes[name] = shape;
        }
        Add("embeddings.word_embeddings.weight", Vocab.Length, Hidden);
        Add("embeddings.position_embeddings.weight", MaxPositions, Hidden);
        Add("embeddings.token_type_embeddings.weight", 2, Hidden);
        Add("embeddings.LayerNorm.weight", Hidden);
        Add("embeddings.LayerNorm.bias", Hidden);
        for (var l = 0; l < Layers; l++)
        {
            var p = $"encoder.layer.{l}.";
            foreach (var n in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                Add(p + n + ".weight", Hidden, Hidden);
                Add(p + n + ".bias", Hidden);
            }
            Add(p + "attention.output.LayerNorm.weight", Hidden);
            Add(p + "attention.output.LayerNorm.bias", Hidden);
            Add(p + "intermediate.dense.weight", Intermediate, Hidden);
            Add(p + "intermediate.dense.bias", Intermediate);
            Add(p + "output.dense.weight", Hidden, Intermediate);
            Add(p + "output.dense.bias", Hidden);
            Add(p + "output.LayerNorm.weight", Hidden);
            Add(p + "output.LayerNorm.bias", Hidden);
        }
    }

    public void WriteTo(string dir, bool cls)
    {
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
        {
            model_type = "bert", vocab_size = Vocab.Length, hidden_size = Hidden, num_hidden_layers = Layers, num_attention_heads = Heads,
            intermediate_size = Intermediate, max_position_embeddings = MaxPositions, type_vocab_size = 2, layer_norm_eps = 1e-12, hidden_act = "gelu",
        }));
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), Vocab);
        File.WriteAllText(Path.Combine(dir, "modules.json"),
            """[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]""");
        File.WriteAllText(Path.Combine(dir, "1_Pooling", "config.json"),
            $$"""{"word_embedding_dimension":{{Hidden}},"pooling_mode_cls_token":{{(cls ? "true" : "false")}},"pooling_mode_mean_tokens":{{(cls ? "false" : "true")}}}""");
        File.WriteAllText(Path.Combine(dir, "sentence_bert_config.json"), """{"max_seq_length":32,"do_lower_case":false}""");
        WriteSafetensors(Path.Combine(dir, "model.safetensors"));
    }

    private void WriteSafetensors(string path)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, data) in W)
        {
            header[name] = new { dtype = "F32", shape = _shapes[name], data_offsets = new[] { offset, offset + data.Length * 4L } };
            offset += data.Length * 4L;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)json.Length);
        file.Write(len);
        file.Write(json);
        Span<byte> four = stackalloc byte[4];
        foreach (var data in W.Values)
        {
            foreach (var v in data)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                file.Write(four);
            }
        }
    }

    /// <summary>The sentence vector the naive way: loops over arrays, exact-erf GELU, then pooling and L2 normalisation.</summary>
    public float[] Embed(IReadOnlyList<int> ids, bool cls)
    {
        var n = ids.Count;
        var x = new double[n][];
        for (var t = 0; t < n; t++)
        {
            x[t] = new double[Hidden];
            for (var i = 0; i < Hidden; i++)
            {
                x[t][i] = W["embeddings.word_embeddings.weight"][ids[t] * Hidden + i] + W["embeddings.position_embeddings.weight"][t * Hidden + i]
                        + W["embeddings.token_type_embeddings.weight"][i];
            }
            x[t] = Norm(x[t], "embeddings.LayerNorm");
        }
        for (var l = 0; l < Layers; l++)
        {
            var p = $"encoder.layer.{l}.";
            var q = x.Select(r => Linear(r, p + "attention.self.query")).ToArray();
            var k = x.Select(r => Linear(r, p + "attention.self.key")).ToArray();
            var v = x.Select(r => Linear(r, p + "attention.self.value")).ToArray();
            var d = Hidden / Heads;
            var context = new double[n][];
            for (var t = 0; t < n; t++)
            {
                context[t] = new double[Hidden];
                for (var h = 0; h < Heads; h++)
                {
                    var scores = new double[n];
                    for (var s = 0; s < n; s++)
                    {
                        for (var j = 0; j < d; j++)
                        {
                            scores[s] += q[t][h * d + j] * k[s][h * d + j];
                        }
                        scores[s] /= Math.Sqrt(d);
                    }
                    var max = scores.Max();
                    var exp = scores.Select(sc => Math.Exp(sc - max)).ToArray();
                    var sum = exp.Sum();
                    for (var s = 0; s < n; s++)
                    {
                        for (var j = 0; j < d; j++)
                        {
                            context[t][h * d + j] += exp[s] / sum * v[s][h * d + j];
                        }
                    }
                }
            }
            for (var t = 0; t < n; t++)
            {
                var attn = Linear(context[t], p + "attention.output.dense");
                var a = Norm(attn.Select((val, i) => val + x[t][i]).ToArray(), p + "attention.output.LayerNorm");
                var inter = Linear(a, p + "intermediate.dense").Select(z => 0.5 * z * (1 + Erf(z / Math.Sqrt(2)))).ToArray();
                var o = Linear(inter, p + "output.dense");
                x[t] = Norm(o.Select((val, i) => val + a[i]).ToArray(), p + "output.LayerNorm");
            }
        }
        var pooled = cls ? x[0] : Enumerable.Range(0, Hidden).Select(i => x.Average(r => r[i])).ToArray();
        var norm = Math.Sqrt(pooled.Sum(z => z * z));
        return pooled.Select(z => (float)(z / norm)).ToArray();
    }

    private double[] Linear(double[] input, string name)
    {
        var w = W[name + ".weight"];
        var b = W[name + ".bias"];
        var output = new double[b.Length];
        for (var o = 0; o < b.Length; o++)
        {
            double acc = b[o];
            for (var i = 0; i < input.Length; i++)
            {
                acc += w[o * input.Length + i] * input[i];
            }
            output[o] = acc;
        }
        return output;
    }

    private double[] Norm(double[] input, string name)
    {
        var mean = input.Average();
        var variance = input.Average(z => (z - mean) * (z - mean));
        return input.Select((z, i) => (z - mean) / Math.Sqrt(variance + 1e-12) * W[name + ".weight"][i] + W[name + ".bias"][i]).ToArray();
    }

    // Abramowitz & Stegun 7.1.26 is too coarse here; this series/continued-fraction pair is accurate to ~1e-12.
    private static double Erf(double z)
    {
        var a = Math.Abs(z);
        double result;
        if (a < 2.5)
        {
            double sum = 0, term = a;
            for (var k = 0; k < 60; k++)
            {
                sum += term / (2 * k + 1);
                term *= -a * a / (k + 1);
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double f = 0;
            for (var k = 60; k >= 1; k--)
            {
                f = k / 2.0 / (a + f);
            }
            result = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / (a + f);
        }
        return z < 0 ? -result : result;
    }
}
