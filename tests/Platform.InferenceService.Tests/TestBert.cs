using System.Text.Json;
using Platform.Inference.Checkpoints;
using TorchSharp;

namespace Platform.InferenceService.Tests;

/// <summary>A tiny random sentence-transformers BERT folder (mean pooling, 16 positions) for /v1/embeddings.</summary>
internal static class TestBert
{
    public const int Hidden = 16;
    public const int MaxSequence = 16;

    public static readonly string[] Vocab =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "keeper", "saw", "birds", "light", "##house", "sea", "calm", "a", "boat", "."];

    public static string Write(string directory, int seed = 5)
    {
        Directory.CreateDirectory(directory);
        const int layers = 2, intermediate = 24;
        File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(new
        {
            model_type = "bert", vocab_size = Vocab.Length, hidden_size = Hidden, num_hidden_layers = layers, num_attention_heads = 2,
            intermediate_size = intermediate, max_position_embeddings = 32, type_vocab_size = 2, layer_norm_eps = 1e-12, hidden_act = "gelu",
        }));
        File.WriteAllLines(Path.Combine(directory, "vocab.txt"), Vocab);
        File.WriteAllText(Path.Combine(directory, "sentence_bert_config.json"), $$"""{"max_seq_length":{{MaxSequence}},"do_lower_case":true}""");
        var shapes = new Dictionary<string, long[]>
        {
            ["embeddings.word_embeddings.weight"] = [Vocab.Length, Hidden],
            ["embeddings.position_embeddings.weight"] = [32, Hidden],
            ["embeddings.token_type_embeddings.weight"] = [2, Hidden],
            ["embeddings.LayerNorm.weight"] = [Hidden],
            ["embeddings.LayerNorm.bias"] = [Hidden],
        };
        for (var l = 0; l < layers; l++)
        {
            var p = $"encoder.layer.{l}.";
            foreach (var name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                shapes[p + name + ".weight"] = [Hidden, Hidden];
                shapes[p + name + ".bias"] = [Hidden];
            }
            shapes[p + "attention.output.LayerNorm.weight"] = [Hidden];
            shapes[p + "attention.output.LayerNorm.bias"] = [Hidden];
            shapes[p + "intermediate.dense.weight"] = [intermediate, Hidden];
            shapes[p + "intermediate.dense.bias"] = [intermediate];
            shapes[p + "output.dense.weight"] = [Hidden, intermediate];
            shapes[p + "output.dense.bias"] = [Hidden];
            shapes[p + "output.LayerNorm.weight"] = [Hidden];
            shapes[p + "output.LayerNorm.bias"] = [Hidden];
        }
        // Every tensor stays reachable until written (see Platform.Inference.TorchScalars).
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator((ulong)seed);
        var tensors = shapes.Select(s => new KeyValuePair<string, torch.Tensor>(s.Key, torch.randn(s.Value, generator: generator))).ToList();
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);
        return directory;
    }
}
