using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Platform.Inference.Tests;

/// <summary>
/// A random-weight Llama-family checkpoint written by the test itself (config.json plus
/// safetensors bytes produced here, independent of the engine's writer).
/// </summary>
internal sealed record RandomCheckpoint(
    string Architecture = "LlamaForCausalLM",
    int Hidden = 32,
    int Intermediate = 48,
    int Layers = 2,
    int Heads = 4,
    int KvHeads = 2,
    int? ExplicitHeadDim = null,
    int Vocab = 50,
    bool Tied = false,
    bool QkvBias = false,
    bool Llama3Scaling = false,
    double RopeTheta = 10000,
    double Eps = 1e-5,
    int Seed = 1)
{
    public int HeadDim => ExplicitHeadDim ?? Hidden / Heads;

    public Dictionary<string, float[]> W { get; } = [];

    public Dictionary<string, long[]> Shapes { get; } = [];

    public RandomCheckpoint Build()
    {
        var random = new Random(Seed);
        void Add(string name, params long[] shape)
        {
            var n = (int)shape.Aggregate(1L, (a, b) => a * b);
            var norm = name.EndsWith("norm.weight", StringComparison.Ordinal);
            W[name] = Enumerable.Range(0, n).Select(_ => norm ? 1f + (float)(random.NextDouble() - 0.5) * 0.2f : (float)(random.NextDouble() * 2 - 1) * 0.2f).ToArray();
            Shapes[name] = shape;
        }
        Add("model.embed_tokens.weight", Vocab, Hidden);
        for (var l = 0; l < Layers; l++)
        {
            var p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", Hidden);
            Add(p + "self_attn.q_proj.weight", Heads * HeadDim, Hidden);
            Add(p + "self_attn.k_proj.weight", KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.v_proj.weight", KvHeads * HeadDim, Hidden);
            if (QkvBias)
            {
                Add(p + "self_attn.q_proj.bias", Heads * HeadDim);
                Add(p + "self_attn.k_proj.bias", KvHeads * HeadDim);
                Add(p + "self_attn.v_proj.bias", KvHeads * HeadDim);
            }
            Add(p + "self_attn.o_proj.weight", Hidden, Heads * HeadDim);
            Add(p + "post_attention_layernorm.weight", Hidden);
            Add(p + "mlp.gate_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.up_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.down_proj.weight", Hidden, Intermediate);
        }
        Add("model.norm.weight", Hidden);
        if (!Tied)
        {
            Add("lm_head.weight", Vocab, Hidden);
        }
        return this;
    }

    public string ConfigJson()
    {
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { Architecture },
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["vocab_size"] = Vocab,
            ["max_position_embeddings"] = 64,
            ["rms_norm_eps"] = Eps,
            ["rope_theta"] = RopeTheta,
            ["tie_word_embeddings"] = Tied,
            ["hidden_act"] = "silu",
            ["bos_token_id"] = 1,
            ["eos_token_id"] = 2,
        };
        if (ExplicitHeadDim is { } hd)
        {
            config["head_dim"] = hd;
        }
        if (QkvBias && Architecture != "Qwen2ForCausalLM")
        {
            throw new InvalidOperationException("q/k/v bias is modelled with Qwen2 here");
        }
        config["rope_scaling"] = Llama3Scaling
            ? new Dictionary<string, object> { ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 32 }
            : null;
        return JsonSerializer.Serialize(config);
    }

    /// <summary>Writes config.json and the weights (one file or <paramref name="shards"/> shards with an index).</summary>
    public string WriteTo(string directory, int shards = 1, string dtype = "F32")
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson());
        var names = W.Keys.ToList();
        if (shards == 1)
        {
            WriteSafetensors(Path.Combine(directory, "model.safetensors"), names, dtype);
            return directory;
        }
        var map = new Dictionary<string, string>();
        for (var s = 0; s < shards; s++)
        {
            var file = $"model-{s + 1:00000}-of-{shards:00000}.safetensors";
            var part = names.Where((_, i) => i % shards == s).ToList();
            WriteSafetensors(Path.Combine(directory, file), part, dtype);
            part.ForEach(n => map[n] = file);
        }
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        return directory;
    }

    public void WriteSafetensors(string path, IReadOnlyList<string> names, string dtype)
    {
        var header = new Dictionary<string, object>();
        var data = new MemoryStream();
        var buffer = new byte[4];
        foreach (var name in names)
        {
            var begin = data.Length;
            foreach (var value in W[name])
            {
                switch (dtype)
                {
                    case "F32":
                        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
                        data.Write(buffer, 0, 4);
                        break;
                    case "F16":
                        BinaryPrimitives.WriteHalfLittleEndian(buffer, (Half)value);
                        data.Write(buffer, 0, 2);
                        break;
                    default: // BF16: truncate the F32 bit pattern (values are made BF16-exact by RoundTo)
                        BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16));
                        data.Write(buffer, 0, 2);
                        break;
                }
            }
            header[name] = new { dtype, shape = Shapes[name], data_offsets = new[] { begin, data.Length } };
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)json.Length);
        file.Write(prefix);
        file.Write(json);
        data.Position = 0;
        data.CopyTo(file);
    }

    /// <summary>Rounds every weight to what <paramref name="dtype"/> can hold, so files in that dtype are exact.</summary>
    public RandomCheckpoint RoundTo(string dtype)
    {
        foreach (var w in W.Values)
        {
            for (var i = 0; i < w.Length; i++)
            {
                w[i] = dtype == "F16" ? (float)(Half)w[i] : BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(w[i]) & 0xFFFF0000);
            }
        }
        return this;
    }
}
