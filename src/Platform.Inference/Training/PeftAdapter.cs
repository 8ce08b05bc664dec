using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Inference.Checkpoints;
using Platform.Inference.Model;
using static TorchSharp.torch;

namespace Platform.Inference.Training;

/// <summary>
/// Hugging Face PEFT adapter folders: <c>adapter_config.json</c> (peft_type LORA, r, lora_alpha,
/// target_modules, base_model_name_or_path, …) and <c>adapter_model.safetensors</c> with
/// <c>base_model.model.&lt;key&gt;.lora_A.weight</c> [r, in] and <c>.lora_B.weight</c> [out, r], as
/// <c>peft.PeftModel.save_pretrained</c> writes them. An adapter with trainable tokens also has
/// <c>trainable_token_indices</c> in the config and their rows in
/// <c>base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta</c> [indices, hidden]
/// (PEFT does not save a tied head's copy separately).
/// </summary>
public static class PeftAdapter
{
    /// <summary>The config file name.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>The weights file name.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    private const string Prefix = "base_model.model.";

    /// <summary>The tensor name PEFT uses for the trainable token rows of the input embeddings.</summary>
    public const string TokensTensorName = Prefix + LoraDelta.TokensKey;

    /// <summary>The tensor name PEFT uses for matrix <paramref name="matrix"/> ("lora_A" or "lora_B") of <paramref name="key"/>.</summary>
    public static string TensorName(string key, string matrix) => $"{Prefix}{key}.{matrix}.weight";

    /// <summary>Writes <paramref name="delta"/> to <paramref name="directory"/> (created if needed; files replaced).</summary>
    public static void Save(string directory, LoraDelta delta, string baseModelNameOrPath)
    {
        Directory.CreateDirectory(directory);
        var tensors = delta.Keys.SelectMany(key => new[]
        {
            new KeyValuePair<string, Tensor>(TensorName(key, "lora_A"), delta.A(key)),
            new KeyValuePair<string, Tensor>(TensorName(key, "lora_B"), delta.B(key)),
        }).ToList();
        if (delta.Tokens is { } tokens)
        {
            tensors.Add(new KeyValuePair<string, Tensor>(TokensTensorName, tokens.Rows));
        }
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFile), tensors);
        var settings = delta.Settings;
        var config = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = settings.Alpha,
            ["lora_dropout"] = settings.Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = settings.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray([.. settings.TargetModules.Select(m => (JsonNode?)JsonValue.Create(m))]),
            ["task_type"] = "CAUSAL_LM",
            ["trainable_token_indices"] = delta.Tokens is { } t
                ? new JsonArray([.. t.Indices.Select(i => (JsonNode?)JsonValue.Create(i))])
                : null,
            ["use_dora"] = false,
            ["use_rslora"] = false,
        };
        File.WriteAllText(Path.Combine(directory, ConfigFile),
            config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Reads a PEFT LoRA folder back as a <see cref="LoraDelta"/> on <paramref name="model"/>; a folder
    /// that is not a plain LoRA adapter for this model is a <see cref="ModelLoadException"/>.
    /// </summary>
    public static LoraDelta Load(string directory, LlamaForCausalLM model)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        var config = JsonFile.Load(configPath);
        if (config.Get("peft_type")?.GetString() != "LORA")
        {
            throw config.Error("peft_type", "must be \"LORA\"");
        }
        if (config.GetBool("use_dora") == true || config.GetBool("use_rslora") == true)
        {
            throw config.Error("use_dora", "DoRA and rsLoRA adapters are not supported");
        }
        var targets = config.Get("target_modules") is { ValueKind: JsonValueKind.Array } list
            ? list.EnumerateArray().Select(e => e.GetString() ?? "").ToList()
            : throw config.Error("target_modules", "must be a list of module names");
        var settings = new LoraSettings
        {
            Rank = config.RequireInt("r"),
            Alpha = config.GetDouble("lora_alpha") ?? throw config.Error("lora_alpha", "is required"),
            Dropout = config.GetDouble("lora_dropout") ?? 0,
            TargetModules = targets,
            TrainableTokenIndices = TrainableTokenIndices(config),
        };
        var weightsPath = Path.Combine(directory, WeightsFile);
        using var file = SafetensorsFile.Open(weightsPath);
        var tensors = new Dictionary<string, (Tensor, Tensor)>(StringComparer.Ordinal);
        try
        {
            foreach (var name in file.Tensors.Keys.Where(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal)))
            {
                var key = name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..^".lora_A.weight".Length] : "";
                var bName = TensorName(key, "lora_B");
                if (key.Length == 0 || !file.Tensors.ContainsKey(bName))
                {
                    throw new ModelLoadException(weightsPath, name, "expected base_model.model.<key>.lora_A.weight with a matching lora_B");
                }
                tensors[key] = (file.ReadTensor(name, ScalarType.Float32), file.ReadTensor(bName, ScalarType.Float32));
            }
            if ((settings.TrainableTokenIndices.Count > 0) != file.Tensors.ContainsKey(TokensTensorName))
            {
                throw new ModelLoadException(weightsPath, TokensTensorName, settings.TrainableTokenIndices.Count > 0
                    ? "is missing (adapter_config.json lists trainable_token_indices)"
                    : "is present but adapter_config.json lists no trainable_token_indices");
            }
            using var tokenRows = settings.TrainableTokenIndices.Count > 0 ? file.ReadTensor(TokensTensorName, ScalarType.Float32) : null;
            try
            {
                return LoraDelta.FromTensors(model, settings, tensors, tokenRows);
            }
            catch (ArgumentException e)
            {
                throw new ModelLoadException(weightsPath, null, e.Message);
            }
        }
        finally
        {
            foreach (var (a, b) in tensors.Values)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    /// <summary>
    /// PEFT's <c>trainable_token_indices</c>: absent or null, a list of ids (for the input embeddings),
    /// or <c>{"embed_tokens": [...]}</c> (a tied head's "lm_head" entry, if present, must list the same ids).
    /// </summary>
    internal static IReadOnlyList<int> TrainableTokenIndices(JsonFile config)
    {
        const string field = "trainable_token_indices";
        if (config.Get(field) is not { } value)
        {
            return [];
        }
        static List<int>? Ids(JsonElement list) =>
            list.ValueKind == JsonValueKind.Array && list.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _))
                ? list.EnumerateArray().Select(e => e.GetInt32()).ToList()
                : null;
        if (value.ValueKind == JsonValueKind.Array)
        {
            return Ids(value) ?? throw config.Error(field, "must be a list of token ids");
        }
        if (value.ValueKind == JsonValueKind.Object)
        {
            var entries = value.EnumerateObject().ToDictionary(p => p.Name, p => Ids(p.Value));
            if (!entries.TryGetValue("embed_tokens", out var ids) || ids is null
                || entries.Any(e => e.Key != "embed_tokens" && (e.Key != "lm_head" || e.Value is null || !e.Value.SequenceEqual(ids))))
            {
                throw config.Error(field, "only {\"embed_tokens\": [ids]} (with a tied \"lm_head\" listing the same ids) is supported");
            }
            return ids;
        }
        throw config.Error(field, "must be a list of token ids or {\"embed_tokens\": [ids]}");
    }
}
