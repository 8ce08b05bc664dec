using System.Text.Json;
using Platform.Inference.Checkpoints;
using Platform.Inference.Model;
using Platform.Inference.Training;

namespace Platform.Inference.Tests.Training;

/// <summary>Reads an adapter folder as plain PEFT files, the way the Hugging Face ecosystem would.</summary>
internal static class PeftFiles
{
    public static void AssertPlainPeft(string directory, LlamaForCausalLM model, LoraSettings lora)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "adapter_config.json")));
        var root = config.RootElement;
        Assert.Equal("LORA", root.GetProperty("peft_type").GetString());
        Assert.Equal(lora.Rank, root.GetProperty("r").GetInt32());
        Assert.Equal(lora.Alpha, root.GetProperty("lora_alpha").GetDouble());
        Assert.Equal(lora.TargetModules, root.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("base_model_name_or_path").GetString()));
        Assert.Equal("CAUSAL_LM", root.GetProperty("task_type").GetString());

        using var weights = SafetensorsFile.Open(Path.Combine(directory, "adapter_model.safetensors"));
        var expected = model.Projections.Values.Where(p => p.Key.StartsWith("model.layers.", StringComparison.Ordinal)
            && lora.TargetModules.Contains(p.Key.Split('.')[^1])).ToList();
        Assert.Equal(2 * expected.Count, weights.Tensors.Count);
        foreach (var p in expected)
        {
            var a = weights.Tensors[$"base_model.model.{p.Key}.lora_A.weight"];
            var b = weights.Tensors[$"base_model.model.{p.Key}.lora_B.weight"];
            Assert.Equal("F32", a.DType);
            Assert.Equal([lora.Rank, p.InFeatures], a.Shape);
            Assert.Equal([p.OutFeatures, lora.Rank], b.Shape);
        }
    }
}
