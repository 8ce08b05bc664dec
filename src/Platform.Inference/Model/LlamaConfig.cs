using Platform.Inference.Checkpoints;

namespace Platform.Inference.Model;

/// <summary>
/// The shape and hyper-parameters of a Llama-family decoder (Llama, Mistral, Qwen2), read from a
/// Hugging Face config.json.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>Architectures this engine implements (config.json "architectures").</summary>
    public static readonly IReadOnlyList<string> SupportedArchitectures =
        ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];

    /// <summary>The "architectures" entry in use.</summary>
    public string Architecture { get; init; } = "LlamaForCausalLM";

    /// <summary>Model width (hidden_size).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>MLP width (intermediate_size).</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Decoder layers (num_hidden_layers).</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary>Query heads (num_attention_heads).</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Key/value heads (num_key_value_heads); fewer than query heads is grouped-query attention.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Per-head width (head_dim; hidden_size / num_attention_heads when absent).</summary>
    public required int HeadDim { get; init; }

    /// <summary>Vocabulary size (vocab_size).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Context length: max_position_embeddings, or a smaller sliding_window (sliding-window attention is not built, so the context stops where it would begin).</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>RMSNorm epsilon (rms_norm_eps).</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>RoPE base (rope_theta).</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary>RoPE scaling (rope_scaling), or null for none.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>Whether q/k/v projections carry a bias (attention_bias; always true for Qwen2).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Whether o_proj carries a bias (attention_bias for Llama; never for Qwen2).</summary>
    public bool OutputBias { get; init; }

    /// <summary>Whether the MLP projections carry a bias (mlp_bias).</summary>
    public bool MlpBias { get; init; }

    /// <summary>Whether lm_head shares the embedding matrix (tie_word_embeddings).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>bos_token_id, when given.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>eos_token_id (one or several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Parameter count implied by the shape.</summary>
    public long ParameterCount
    {
        get
        {
            long d = HiddenSize, q = (long)NumAttentionHeads * HeadDim, kv = (long)NumKeyValueHeads * HeadDim;
            var attention = d * q + 2 * d * kv + q * d + (QkvBias ? q + 2 * kv : 0) + (OutputBias ? d : 0);
            var mlp = 3 * d * IntermediateSize + (MlpBias ? 2 * IntermediateSize + d : 0);
            var layer = attention + mlp + 2 * d;
            var embeddings = (long)VocabSize * d * (TieWordEmbeddings ? 1 : 2);
            return NumHiddenLayers * layer + embeddings + d;
        }
    }

    /// <summary>Reads config.json at <paramref name="path"/>; throws <see cref="ModelLoadException"/> naming the bad field.</summary>
    public static LlamaConfig Load(string path) => Parse(JsonFile.Load(path));

    /// <summary>Builds the config from a parsed config.json.</summary>
    public static LlamaConfig Parse(JsonFile json)
    {
        var architectures = json.Get("architectures");
        if (architectures is not { ValueKind: System.Text.Json.JsonValueKind.Array } || architectures.Value.GetArrayLength() == 0)
        {
            throw json.Error("architectures", "is required (a list such as [\"LlamaForCausalLM\"])");
        }
        var architecture = architectures.Value[0].GetString() ?? "";
        if (!SupportedArchitectures.Contains(architecture))
        {
            throw json.Error("architectures",
                $"'{architecture}' is not supported (supported: {string.Join(", ", SupportedArchitectures)})");
        }
        var hiddenAct = json.GetString("hidden_act") ?? "silu";
        if (hiddenAct != "silu")
        {
            throw json.Error("hidden_act", $"'{hiddenAct}' is not supported (only silu)");
        }
        var hidden = Positive(json, "hidden_size");
        var heads = Positive(json, "num_attention_heads");
        var kvHeads = json.GetInt("num_key_value_heads") ?? heads;
        if (kvHeads <= 0 || heads % kvHeads != 0)
        {
            throw json.Error("num_key_value_heads", $"{kvHeads} must be positive and divide num_attention_heads ({heads})");
        }
        var headDim = json.GetInt("head_dim") ?? (hidden % heads == 0
            ? hidden / heads
            : throw json.Error("head_dim", "is required when hidden_size is not a multiple of num_attention_heads"));
        if (headDim <= 0 || headDim % 2 != 0)
        {
            throw json.Error("head_dim", $"{headDim} must be a positive even number for rotary embeddings");
        }
        var isQwen2 = architecture == "Qwen2ForCausalLM";
        var attentionBias = json.GetBool("attention_bias") ?? false;
        var maxPositions = json.GetInt("max_position_embeddings") ?? 2048;
        // Sliding-window attention (Mistral; Qwen2 with use_sliding_window) is not built: attention is exact,
        // which equals the windowed model's only while the whole context fits the window, so the context stops there.
        var window = architecture == "LlamaForCausalLM" || (isQwen2 && json.GetBool("use_sliding_window") != true)
            ? null
            : json.GetInt("sliding_window");
        if (window is > 0 && window < maxPositions)
        {
            maxPositions = window.Value;
        }
        return new LlamaConfig
        {
            Architecture = architecture,
            HiddenSize = hidden,
            IntermediateSize = Positive(json, "intermediate_size"),
            NumHiddenLayers = Positive(json, "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = Positive(json, "vocab_size"),
            MaxPositionEmbeddings = maxPositions,
            RmsNormEps = json.GetDouble("rms_norm_eps") ?? 1e-6,
            RopeTheta = json.GetDouble("rope_theta") ?? 10000,
            RopeScaling = ParseRopeScaling(json),
            QkvBias = isQwen2 || attentionBias,
            OutputBias = !isQwen2 && attentionBias,
            MlpBias = json.GetBool("mlp_bias") ?? false,
            TieWordEmbeddings = json.GetBool("tie_word_embeddings") ?? false,
            BosTokenId = json.GetInt("bos_token_id"),
            EosTokenIds = json.GetIntOrList("eos_token_id"),
        };
    }

    private static int Positive(JsonFile json, string field)
    {
        var value = json.RequireInt(field);
        return value > 0 ? value : throw json.Error(field, $"must be positive, got {value}");
    }

    private static RopeScaling? ParseRopeScaling(JsonFile json)
    {
        if (json.Get("rope_scaling") is not { } element)
        {
            return null;
        }
        if (element.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw json.Error("rope_scaling", "must be an object or null");
        }
        string? type = null;
        foreach (var key in new[] { "rope_type", "type" })
        {
            if (element.TryGetProperty(key, out var t) && t.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                type = t.GetString();
                break;
            }
        }
        double Number(string name, double fallback) =>
            element.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.Number
                ? v.GetDouble()
                : fallback;
        switch (type)
        {
            case "default":
                return null;
            case "linear":
            case "llama3":
                var factor = Number("factor", double.NaN);
                if (!(factor > 0))
                {
                    throw json.Error("rope_scaling.factor", "must be a positive number");
                }
                return new RopeScaling(type, factor,
                    Number("low_freq_factor", 1),
                    Number("high_freq_factor", 4),
                    (int)Number("original_max_position_embeddings", 8192));
            default:
                throw json.Error("rope_scaling.rope_type", $"'{type}' is not supported (llama3, linear, default are)");
        }
    }
}
