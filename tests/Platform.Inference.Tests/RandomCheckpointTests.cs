using Platform.Inference.Checkpoints;
using TorchSharp;

namespace Platform.Inference.Tests;

/// <summary>Random-weight checkpoints written to disk, loaded through the real loader, checked against <see cref="NaiveLlama"/>.</summary>
public sealed class RandomCheckpointTests
{
    private static readonly int[] Tokens = [1, 7, 3, 42, 9, 17, 5, 33, 2, 11, 28, 4];

    public static TheoryData<string> Shapes() => ["gqa-tied", "mha-untied", "qwen2-bias", "odd-head-dim", "llama3-rope-mistral", "sharded"];

    private static RandomCheckpoint Shape(string name) => name switch
    {
        "gqa-tied" => new RandomCheckpoint(Heads: 4, KvHeads: 2, Tied: true),
        "mha-untied" => new RandomCheckpoint(Heads: 4, KvHeads: 4, Tied: false, Seed: 2),
        "qwen2-bias" => new RandomCheckpoint(Architecture: "Qwen2ForCausalLM", Heads: 4, KvHeads: 1, QkvBias: true, RopeTheta: 1e6, Seed: 3),
        "odd-head-dim" => new RandomCheckpoint(Hidden: 36, Heads: 3, KvHeads: 1, ExplicitHeadDim: 10, Intermediate: 40, Seed: 4),
        "llama3-rope-mistral" => new RandomCheckpoint(Architecture: "MistralForCausalLM", Heads: 2, KvHeads: 2, ExplicitHeadDim: 32, Llama3Scaling: true, RopeTheta: 500000, Seed: 5),
        _ => new RandomCheckpoint(Layers: 3, Seed: 6),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_logits_match_a_naive_implementation(string shape)
    {
        var checkpoint = Shape(shape).Build();
        using var dir = new TempDirectory();
        checkpoint.WriteTo(dir.Path, shards: shape == "sharded" ? 3 : 1);
        var expected = new NaiveLlama(checkpoint).Forward(Tokens);
        using var open = HfCheckpoint.Open(dir.Path);
        using var model = ModelLoader.LoadModel(open);
        // Keeps the input tensors reachable during the native calls (see TorchScalars).
        using var scope = torch.NewDisposeScope();
        var actual = Logits(model.forward(torch.tensor(Tokens.Select(t => (long)t).ToArray(), [1, Tokens.Length])));
        AssertClose(expected, actual, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Incremental_decoding_with_the_cache_matches_full_recomputation(string shape)
    {
        var checkpoint = Shape(shape).Build();
        using var dir = new TempDirectory();
        checkpoint.WriteTo(dir.Path);
        using var open = HfCheckpoint.Open(dir.Path);
        using var model = ModelLoader.LoadModel(open);
        // Keeps the input tensors reachable during the native calls (see TorchScalars).
        using var scope = torch.NewDisposeScope();
        var full = Logits(model.forward(torch.tensor(Tokens.Select(t => (long)t).ToArray(), [1, Tokens.Length])));
        // Small initial capacity so the cache also has to grow.
        using var cache = model.CreateCache(capacity: 2);
        var incremental = new List<float[]>();
        var prefill = Tokens[..4].Select(t => (long)t).ToArray();
        incremental.AddRange(Logits(model.forward(torch.tensor(prefill, [1, prefill.Length]), cache: cache)));
        // Then a two-token chunk (exercises the offset causal mask), then single tokens.
        incremental.AddRange(Logits(model.forward(torch.tensor(new long[] { Tokens[4], Tokens[5] }, [1, 2]), cache: cache)));
        foreach (var t in Tokens[6..])
        {
            incremental.AddRange(Logits(model.forward(torch.tensor(new long[] { t }, [1, 1]), cache: cache)));
        }
        AssertClose(full, incremental.ToArray(), 1e-4);
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Half_precision_checkpoints_load_exactly(string dtype)
    {
        var checkpoint = new RandomCheckpoint(Seed: 9).Build().RoundTo(dtype);
        using var dir = new TempDirectory();
        checkpoint.WriteTo(dir.Path, dtype: dtype);
        var expected = new NaiveLlama(checkpoint).Forward(Tokens);
        using var open = HfCheckpoint.Open(dir.Path);
        using var model = ModelLoader.LoadModel(open);
        // Keeps the input tensors reachable during the native calls (see TorchScalars).
        using var scope = torch.NewDisposeScope();
        AssertClose(expected, Logits(model.forward(torch.tensor(Tokens.Select(t => (long)t).ToArray(), [1, Tokens.Length]))), 1e-4);
    }

    private static float[][] Logits(torch.Tensor logits)
    {
        using (logits)
        {
            var rows = (int)logits.shape[1];
            var vocab = (int)logits.shape[2];
            var flat = logits.contiguous().data<float>().ToArray();
            return Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * vocab, vocab).ToArray()).ToArray();
        }
    }

    private static void AssertClose(float[][] expected, float[][] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.SelectMany(r => r).Max(v => Math.Abs(v));
        for (var t = 0; t < expected.Length; t++)
        {
            for (var v = 0; v < expected[t].Length; v++)
            {
                var diff = Math.Abs(expected[t][v] - actual[t][v]);
                Assert.True(diff <= relative * Math.Max(Math.Abs(expected[t][v]), scale * 0.01),
                    $"position {t} token {v}: expected {expected[t][v]}, got {actual[t][v]}");
            }
        }
    }
}
