using Platform.Inference.Model;

namespace Platform.Inference.Tests;

/// <summary>
/// Sliding-window attention is not built, so a checkpoint that uses it gets the window as its context:
/// exact attention equals the windowed model's only while the whole context fits the window.
/// </summary>
public sealed class SlidingWindowConfigTests
{
    [Theory]
    [InlineData("MistralForCausalLM", "\"sliding_window\": 4096", 4096)]
    [InlineData("MistralForCausalLM", "\"sliding_window\": null", 32768)]
    [InlineData("MistralForCausalLM", "\"sliding_window\": 65536", 32768)]
    [InlineData("Qwen2ForCausalLM", "\"sliding_window\": 4096, \"use_sliding_window\": false", 32768)]
    [InlineData("Qwen2ForCausalLM", "\"sliding_window\": 4096, \"use_sliding_window\": true", 4096)]
    [InlineData("LlamaForCausalLM", "\"sliding_window\": 4096", 32768)]
    public void The_context_stops_where_a_used_sliding_window_begins(string architecture, string window, int expected)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "config.json");
        File.WriteAllText(path, $$"""
            {"architectures": ["{{architecture}}"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "max_position_embeddings": 32768, {{window}}}
            """);
        Assert.Equal(expected, LlamaConfig.Load(path).MaxPositionEmbeddings);
    }
}
