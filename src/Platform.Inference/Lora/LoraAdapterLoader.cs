using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Inference.Checkpoints;
using Platform.Inference.Model;
using Platform.Inference.Training;
using TorchSharp;

namespace Platform.Inference.Lora;

/// <summary>
/// Loads Hugging Face PEFT LoRA adapters (adapter_config.json + adapter_model.safetensors) for a
/// given base model, checking every tensor against the base projection it modifies. Defects are
/// <see cref="ModelLoadException"/>s naming the file and field.
/// </summary>
public static class LoraAdapterLoader
{
    private const string ConfigFile = "adapter_config.json";
    private const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Loads the adapter in <paramref name="directory"/> as <paramref name="name"/> for <paramref name="model"/>.</summary>
    public static LoraAdapter Load(string name, string directory, LlamaForCausalLM model)
    {
        var config = JsonFile.Load(Path.Combine(directory, ConfigFile));
        var peftType = config.GetString("peft_type") ?? "LORA";
        if (!string.Equals(peftType, "LORA", StringComparison.OrdinalIgnoreCase))
        {
            throw config.Error("peft_type", $"'{peftType}' is not supported (only LORA)");
        }
        var rank = config.GetInt("r") ?? 8;
        if (rank < 1)
        {
            throw config.Error("r", $"must be at least 1, got {rank}");
        }
        var alpha = config.GetDouble("lora_alpha") ?? 8;
        var scaling = config.GetBool("use_rslora") == true ? alpha / Math.Sqrt(rank) : alpha / rank;
        if (config.GetBool("fan_in_fan_out") == true)
        {
            throw config.Error("fan_in_fan_out", "true (GPT-2 Conv1D layout) is not supported by Llama-family models");
        }
        if ((config.GetString("bias") ?? "none") != "none")
        {
            throw config.Error("bias", "only \"none\" is supported");
        }
        if (config.GetBool("use_dora") == true)
        {
            throw config.Error("use_dora", "DoRA adapters are not supported");
        }
        var targets = TargetMatcher(config);
        var tokenIndices = PeftAdapter.TrainableTokenIndices(config);
        using var weights = SafetensorsFile.Open(Path.Combine(directory, WeightsFile));
        var modules = new Dictionary<string, (torch.Tensor A, torch.Tensor B)>(StringComparer.Ordinal);
        AdapterTokens? tokens = null;
        try
        {
            ReadModules(weights, model, rank, scaling, targets, modules);
            tokens = ReadTokens(weights, model, tokenIndices);
        }
        catch
        {
            foreach (var (a, b) in modules.Values)
            {
                a.Dispose();
                b.Dispose();
            }
            throw;
        }
        if (modules.Count == 0)
        {
            tokens?.Rows.Dispose();
            throw new ModelLoadException(weights.Path, null, "no lora_A/lora_B tensors found");
        }
        return new LoraAdapter(name, Path.GetFullPath(directory), rank, scaling, modules, tokens);
    }

    /// <summary>PEFT trainable tokens: the rows tensor exactly when adapter_config.json lists ids, shaped [ids, hidden].</summary>
    private static AdapterTokens? ReadTokens(SafetensorsFile weights, LlamaForCausalLM model, IReadOnlyList<int> indices)
    {
        var present = weights.Tensors.ContainsKey(PeftAdapter.TokensTensorName);
        if (indices.Count == 0 && !present)
        {
            return null;
        }
        if (indices.Count == 0 || !present)
        {
            throw new ModelLoadException(weights.Path, PeftAdapter.TokensTensorName, present
                ? "is present but adapter_config.json lists no trainable_token_indices"
                : "is missing (adapter_config.json lists trainable_token_indices)");
        }
        var vocab = model.Config.VocabSize;
        if (indices.Any(i => i < 0 || i >= vocab) || indices.Distinct().Count() != indices.Count)
        {
            throw new ModelLoadException(weights.Path, "trainable_token_indices", $"must be distinct token ids in [0, {vocab})");
        }
        return new AdapterTokens(indices, Read(weights, PeftAdapter.TokensTensorName, [indices.Count, model.Config.HiddenSize]));
    }

    private static void ReadModules(SafetensorsFile weights, LlamaForCausalLM model, int rank, double scaling,
        Func<string, bool> targets, Dictionary<string, (torch.Tensor A, torch.Tensor B)> modules)
    {
        foreach (var tensorName in weights.Tensors.Keys.Order(StringComparer.Ordinal).Where(n => n != PeftAdapter.TokensTensorName))
        {
            var (module, part) = Split(weights.Path, tensorName);
            if (part != "lora_A")
            {
                continue;
            }
            if (!model.Projections.TryGetValue(module, out var projection))
            {
                throw new ModelLoadException(weights.Path, tensorName, $"the base model has no linear layer '{module}'");
            }
            if (!targets(module))
            {
                throw new ModelLoadException(weights.Path, tensorName, "module is not listed in adapter_config.json target_modules");
            }
            var bName = tensorName.Replace(".lora_A.", ".lora_B.", StringComparison.Ordinal);
            if (!weights.Tensors.ContainsKey(bName))
            {
                throw new ModelLoadException(weights.Path, bName, "tensor is missing (every lora_A needs its lora_B)");
            }
            var a = Read(weights, tensorName, [rank, projection.InFeatures]);
            var b = Read(weights, bName, [projection.OutFeatures, rank]);
            b.TimesInPlace(scaling);
            modules[module] = (a, b);
        }
        foreach (var tensorName in weights.Tensors.Keys.Where(n => n != PeftAdapter.TokensTensorName))
        {
            var (module, part) = Split(weights.Path, tensorName);
            if (part == "lora_B" && !modules.ContainsKey(module))
            {
                throw new ModelLoadException(weights.Path, tensorName, "lora_B without a lora_A");
            }
        }
    }

    private static torch.Tensor Read(SafetensorsFile weights, string name, long[] shape)
    {
        var info = weights.Tensors[name];
        if (!info.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException(weights.Path, name,
                $"shape is [{string.Join(", ", info.Shape)}] but the base model and r imply [{string.Join(", ", shape)}]");
        }
        return weights.ReadTensor(name, torch.ScalarType.Float32);
    }

    // "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" (optionally ".lora_A.default.weight").
    private static (string Module, string Part) Split(string path, string tensorName)
    {
        var name = tensorName.StartsWith("base_model.model.", StringComparison.Ordinal) ? tensorName["base_model.model.".Length..] : tensorName;
        foreach (var part in new[] { "lora_A", "lora_B" })
        {
            var at = name.IndexOf("." + part + ".", StringComparison.Ordinal);
            if (at > 0)
            {
                return (name[..at], part);
            }
        }
        throw new ModelLoadException(path, tensorName, "is not a LoRA tensor (only lora_A/lora_B weights and trainable token rows are supported; modules_to_save and embedding adapters are not)");
    }

    private static Func<string, bool> TargetMatcher(JsonFile config)
    {
        switch (config.Get("target_modules"))
        {
            case null:
                return _ => true;
            case { ValueKind: JsonValueKind.String } regex:
                var pattern = new Regex("^(?:" + regex.GetString() + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                return module => pattern.IsMatch(module);
            case { ValueKind: JsonValueKind.Array } list:
                var names = list.EnumerateArray().Select(e => e.GetString() ?? "").ToHashSet(StringComparer.Ordinal);
                return module => names.Contains(module) || names.Contains(module[(module.LastIndexOf('.') + 1)..]);
            default:
                throw config.Error("target_modules", "must be a list of module names or a regular expression");
        }
    }
}
