using System.Text.Json;
using Platform.Inference;
using Platform.Inference.Checkpoints;
using TorchSharp;

namespace Platform.InferenceService.Tests;

/// <summary>Writes random PEFT LoRA adapters for stories260K and the checkpoint with an adapter merged into its weights.</summary>
internal static class AdapterFiles
{
    private static readonly Dictionary<string, (long Out, long In)> Shapes = new()
    {
        ["self_attn.q_proj"] = (64, 64),
        ["self_attn.k_proj"] = (32, 64),
        ["self_attn.v_proj"] = (32, 64),
        ["self_attn.o_proj"] = (64, 64),
        ["mlp.gate_proj"] = (172, 64),
        ["mlp.up_proj"] = (172, 64),
        ["mlp.down_proj"] = (64, 172),
    };

    public sealed record Adapter(string Directory, double Scaling, Dictionary<string, (torch.Tensor A, torch.Tensor B)> Weights);

    /// <summary>An adapter of rank <paramref name="rank"/> on <paramref name="targets"/> (e.g. "q_proj") in every layer.</summary>
    public static Adapter Write(string directory, int seed, int rank, double alpha, params string[] targets)
    {
        Directory.CreateDirectory(directory);
        var generator = new torch.Generator((ulong)seed);
        var weights = new Dictionary<string, (torch.Tensor A, torch.Tensor B)>();
        var tensors = new List<KeyValuePair<string, torch.Tensor>>();
        for (var layer = 0; layer < 5; layer++)
        {
            foreach (var (module, (outFeatures, inFeatures)) in Shapes)
            {
                if (!targets.Contains(module[(module.IndexOf('.') + 1)..]))
                {
                    continue;
                }
                var key = $"model.layers.{layer}.{module}";
                // TorchScalars, not mul_(0.4f): a number becomes a Scalar the GC may free mid-call.
                var a = torch.randn([rank, inFeatures], generator: generator).TimesInPlace(0.4);
                var b = torch.randn([outFeatures, rank], generator: generator).TimesInPlace(0.4);
                weights[key] = (a, b);
                tensors.Add(new($"base_model.model.{key}.lora_A.weight", a));
                tensors.Add(new($"base_model.model.{key}.lora_B.weight", b));
            }
        }
        SafetensorsWriter.Write(Path.Combine(directory, "adapter_model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(directory, "adapter_config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["peft_type"] = "LORA",
            ["r"] = rank,
            ["lora_alpha"] = alpha,
            ["target_modules"] = targets,
            ["lora_dropout"] = 0.0,
            ["bias"] = "none",
            ["base_model_name_or_path"] = "stories260K-hf",
            ["task_type"] = "CAUSAL_LM",
        }));
        return new Adapter(directory, alpha / rank, weights);
    }

    /// <summary>A copy of stories260K-hf whose weights are W + scaling · B·A.</summary>
    public static string Merge(Adapter adapter, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.EnumerateFiles(InferenceHost.StoriesDir).Where(f => !f.EndsWith("model.safetensors", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
        using var original = SafetensorsFile.Open(Path.Combine(InferenceHost.StoriesDir, "model.safetensors"));
        // Every temporary stays reachable until the scope ends (none may be finalized during a native call).
        using var scope = torch.NewDisposeScope();
        var merged = new List<KeyValuePair<string, torch.Tensor>>();
        foreach (var name in original.Tensors.Keys)
        {
            var tensor = original.ReadTensor(name, torch.ScalarType.Float32);
            var module = name.EndsWith(".weight", StringComparison.Ordinal) ? name[..^".weight".Length] : name;
            if (adapter.Weights.TryGetValue(module, out var lora))
            {
                tensor = tensor.Plus(lora.B.matmul(lora.A).Times(adapter.Scaling));
            }
            merged.Add(new(name, tensor));
        }
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), merged);
        return directory;
    }
}
