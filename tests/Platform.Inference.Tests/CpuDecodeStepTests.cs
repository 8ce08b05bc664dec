using Platform.Inference.Checkpoints;
using Platform.Inference.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Tests;

/// <summary>
/// The C# batch-1 decode step against the module path it replaces: the same logits at every position of
/// a decode longer than the step's serial-attention threshold, the same keys and values in the cache, on
/// shapes with grouped-query attention, biases, an odd head size and llama3 rope scaling. (The llama2.c
/// references and <see cref="RandomCheckpointTests"/> run through it too.)
/// </summary>
[Collection(nameof(CpuDecodeStepTests))]
[CollectionDefinition(nameof(CpuDecodeStepTests), DisableParallelization = true)]
public sealed class CpuDecodeStepTests
{
    public static TheoryData<string> Shapes() => ["gqa-tied", "qwen2-bias", "odd-head-dim", "llama3-rope-untied"];

    private static RandomCheckpoint Shape(string name) => name switch
    {
        "gqa-tied" => new RandomCheckpoint(Heads: 4, KvHeads: 2, Tied: true, Seed: 21),
        "qwen2-bias" => new RandomCheckpoint(Architecture: "Qwen2ForCausalLM", Heads: 4, KvHeads: 1, QkvBias: true, RopeTheta: 1e6, Seed: 22),
        "odd-head-dim" => new RandomCheckpoint(Hidden: 36, Heads: 3, KvHeads: 1, ExplicitHeadDim: 10, Intermediate: 40, Seed: 23),
        _ => new RandomCheckpoint(Architecture: "MistralForCausalLM", Heads: 2, KvHeads: 2, Tied: false, ExplicitHeadDim: 32, Llama3Scaling: true, RopeTheta: 500000, Seed: 24),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_long_decode_gives_the_module_paths_logits_and_cache(string shape)
    {
        var checkpoint = Shape(shape).Build();
        using var dir = new TempDirectory();
        checkpoint.WriteTo(dir.Path);
        using var open = HfCheckpoint.Open(dir.Path);
        using var model = ModelLoader.LoadModel(open);
        using var scope = NewDisposeScope();
        const int steps = 90; // past the 64 positions after which the step attends heads in parallel

        var (fused, fusedCache) = Decode(model, steps, enabled: true);
        Assert.True(model.UsesCpuDecodeStep, "the decode did not go through the C# step");
        var (plain, plainCache) = Decode(model, steps, enabled: false);
        using (fusedCache)
        using (plainCache)
        {
            for (var t = 0; t < steps; t++)
            {
                var difference = (fused[t] - plain[t]).abs().max().item<float>();
                var scale = plain[t].abs().max().item<float>();
                Assert.True(difference <= 1e-4 * Math.Max(scale, 1), $"step {t}: logits differ by {difference} (scale {scale})");
            }
            for (var layer = 0; layer < model.Config.NumHiddenLayers; layer++)
            {
                var (fusedKeys, fusedValues) = fusedCache.Storage(layer);
                var (plainKeys, plainValues) = plainCache.Storage(layer);
                Assert.True(fusedKeys.narrow(2, 0, steps).allclose(plainKeys.narrow(2, 0, steps), rtol: 1e-4, atol: 1e-5), $"layer {layer} keys differ");
                Assert.True(fusedValues.narrow(2, 0, steps).allclose(plainValues.narrow(2, 0, steps), rtol: 1e-4, atol: 1e-5), $"layer {layer} values differ");
            }
        }
    }

    [Fact]
    public void A_prompt_longer_than_one_token_or_a_batch_takes_the_module_path_and_still_agrees()
    {
        var checkpoint = Shape("gqa-tied").Build();
        using var dir = new TempDirectory();
        checkpoint.WriteTo(dir.Path);
        using var open = HfCheckpoint.Open(dir.Path);
        using var model = ModelLoader.LoadModel(open);
        using var scope = NewDisposeScope();
        using var cache = model.CreateCache(4);
        var prompt = model.forward(tensor(new long[] { 1, 5, 9 }, [1, 3]), cache: cache);
        var next = model.forward(tensor(new long[] { 4 }, [1, 1]), cache: cache);
        var full = model.forward(tensor(new long[] { 1, 5, 9, 4 }, [1, 4]));
        Assert.Equal(4, cache.SequenceLength);
        Assert.True(next[0, 0].allclose(full[0, 3], rtol: 1e-4, atol: 1e-5));
        Assert.True(prompt[0, 2].allclose(full[0, 2], rtol: 1e-4, atol: 1e-5));
    }

    private static (List<Tensor> Logits, Model.DenseKvCache Cache) Decode(Model.LlamaForCausalLM model, int steps, bool enabled)
    {
        CpuDecodeStep.Enabled = enabled;
        try
        {
            var cache = model.CreateCache(capacity: 8); // small, so the step also grows it
            var logits = new List<Tensor>();
            for (var t = 0; t < steps; t++)
            {
                // Fixed tokens, so a near tie cannot send the two paths down different continuations.
                var output = model.forward(tensor(new[] { (t * 7L + 3) % model.Config.VocabSize }, [1, 1]), cache: cache);
                logits.Add(output[0, 0]);
            }
            return (logits, cache);
        }
        finally
        {
            CpuDecodeStep.Enabled = true;
        }
    }
}
