using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;

namespace Platform.InferenceService.Tests;

/// <summary>Greedy outputs of the single-sequence engine core (dense cache, one prefill), the reference for serving.</summary>
internal static class Reference
{
    private static readonly Lazy<LoadedModel> Stories = new(() => ModelLoader.Load(InferenceHost.StoriesDir));
    private static readonly Lock Gate = new();

    public static LoadedModel Model => Stories.Value;

    public static GenerationResult Greedy(string prompt, int maxTokens) => Greedy(Model.Tokenizer.Encode(prompt), maxTokens);

    public static GenerationResult Greedy(IReadOnlyList<int> prompt, int maxTokens, int topLogprobs = -1)
    {
        // One thread at a time drives the shared model.
        lock (Gate)
        {
            return Model.CreateGenerator().Complete(prompt, new SamplingParameters
            {
                Temperature = 0,
                MaxTokens = maxTokens,
                Logprobs = topLogprobs >= 0,
                TopLogprobs = Math.Max(topLogprobs, 0),
            });
        }
    }
}
