using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Serving;
using static TorchSharp.torch;

namespace Platform.InferenceService.Tests;

/// <summary>Prompt logprobs (what <c>echo</c> with <c>logprobs</c> scores) from the serving engine against one whole-prompt forward.</summary>
public sealed class PromptLogprobsTests
{
    private static readonly Lazy<LoadedModel> Model = new(() => ModelLoader.Load(InferenceHost.StoriesDir));

    /// <summary>log p(token i | tokens before it) for i ≥ 1 from one forward over the whole prompt on a model of its own.</summary>
    internal static float[] Expected(IReadOnlyList<int> prompt)
    {
        lock (Model)
        {
            // Loaded before the scope opens, or the scope would dispose the weights with the intermediates.
            var model = Model.Value.Model;
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            var ids = tensor(prompt.Select(t => (long)t).ToArray(), [1, prompt.Count], ScalarType.Int64);
            var logProbabilities = nn.functional.log_softmax(model.forward(ids), -1)[0];
            return [.. Enumerable.Range(1, prompt.Count - 1).Select(i => logProbabilities[i - 1, prompt[i]].item<float>())];
        }
    }

    [Fact]
    public async Task PromptLogprobs_OverSeveralChunks_EqualAWholePromptForward_AndLeaveTheCompletionAlone()
    {
        using var engine = EngineHarness.Start(maxBatchedTokens: 64, prefillChunk: 8);
        var prompt = EngineHarness.MixedPrompts(4)[3];
        Assert.True(prompt.Count > 24, "the prompt should span several prefill chunks");
        var expected = Expected(prompt);

        var handle = engine.Submit(EngineHarness.Greedy(prompt, 6) with { PromptLogprobs = 3 });
        var outputs = new List<SequenceOutput>();
        await foreach (var output in handle.Outputs.ReadAllAsync())
        {
            outputs.Add(output);
        }

        var found = outputs[0].PromptLogprobs!;
        Assert.All(outputs.Skip(1), o => Assert.Null(o.PromptLogprobs));
        Assert.Equal(prompt.Skip(1), found.Select(p => p.TokenId));
        for (var i = 0; i < found.Count; i++)
        {
            Assert.Equal(expected[i], found[i].Logprob, 3);
            Assert.Equal(3, found[i].TopLogprobs.Count);
            Assert.True(found[i].TopLogprobs[0].Logprob >= found[i].Logprob - 1e-5, $"position {i + 1}: the best alternative is at least the token");
            Assert.True(found[i].TopLogprobs.Zip(found[i].TopLogprobs.Skip(1)).All(p => p.First.Logprob >= p.Second.Logprob));
        }
        var plain = await EngineHarness.Run(engine, EngineHarness.Greedy(prompt, 6, salt: "plain"));
        Assert.Equal(plain.Text, string.Concat(outputs.Select(o => o.Text)));
    }

    [Fact]
    public async Task A_cached_prompt_is_computed_again_for_its_logprobs()
    {
        using var engine = EngineHarness.Start(prefillChunk: 16);
        var prompt = EngineHarness.MixedPrompts(2)[1];
        await EngineHarness.Run(engine, EngineHarness.Greedy(prompt, 2));

        var handle = engine.Submit(EngineHarness.Greedy(prompt, 2) with { PromptLogprobs = 0 });
        var first = await handle.Outputs.ReadAsync();

        Assert.Equal(prompt.Count - 1, first.PromptLogprobs!.Count);
        Assert.All(first.PromptLogprobs, p => Assert.Empty(p.TopLogprobs));
        Assert.Equal(0, handle.CachedPromptTokens);
        var expected = Expected(prompt);
        Assert.Equal(expected.Select(e => Math.Round(e, 3)), first.PromptLogprobs.Select(p => Math.Round(p.Logprob, 3)));
    }

    [Fact]
    public void More_than_twenty_alternatives_are_refused_by_name()
    {
        using var engine = EngineHarness.Start();
        var error = Assert.Throws<SamplingParameterException>(() =>
            engine.Submit(EngineHarness.Greedy(EngineHarness.MixedPrompts(1)[0], 2) with { PromptLogprobs = 21 }));
        Assert.Equal("prompt_logprobs", error.Field);
    }
}
