using System.Text;
using Platform.Inference.Checkpoints;
using Platform.Inference.Generation;
using Platform.Inference.Serving;

namespace Platform.InferenceService.Tests;

/// <summary>Runs requests on a <see cref="ServingEngine"/> directly (no HTTP) and collects their text.</summary>
internal static class EngineHarness
{
    public static ServingEngine Start(long kvBytes = 8L * 1024 * 1024, int maxBatchedTokens = 64, int prefillChunk = 32,
        LoadedModel? model = null, AdapterRegistry? adapters = null, int maxRunning = 64, double? initialNewTokenRatio = null) =>
        new("stories", model ?? ModelLoader.Load(InferenceHost.StoriesDir), new ServingEngineOptions
        {
            KvCacheBytes = kvBytes,
            Scheduler = new SchedulerOptions
            {
                MaxBatchedTokens = maxBatchedTokens,
                PrefillChunk = prefillChunk,
                MaxRunningSequences = maxRunning,
                InitialNewTokenRatio = initialNewTokenRatio,
            },
        }, adapters);

    public static EngineRequest Greedy(IReadOnlyList<int> prompt, int maxTokens, string salt = "tenant-a", string? adapter = null,
        PriorityClass priority = PriorityClass.Consumer) => new()
        {
            PromptTokens = prompt,
            Parameters = new SamplingParameters { Temperature = 0, MaxTokens = maxTokens },
            CacheSalt = salt,
            Adapter = adapter,
            Priority = priority,
        };

    public static async Task<(string Text, int Tokens, FinishReason? Finish)> Collect(SequenceHandle handle)
    {
        var text = new StringBuilder();
        var tokens = 0;
        FinishReason? finish = null;
        await foreach (var output in handle.Outputs.ReadAllAsync())
        {
            text.Append(output.Text);
            tokens = output.CompletionTokens;
            finish = output.FinishReason ?? finish;
        }
        return (text.ToString(), tokens, finish);
    }

    public static Task<(string Text, int Tokens, FinishReason? Finish)> Run(ServingEngine engine, EngineRequest request) =>
        Collect(engine.Submit(request));

    /// <summary>Prompts of mixed lengths (a few tokens to several blocks and prefill chunks).</summary>
    public static IReadOnlyList<int>[] MixedPrompts(int count)
    {
        string[] seeds =
        [
            "Once upon a time",
            "The little girl named Lily went to the park with her mom. She saw a big red ball",
            "Tom",
            "One day, a boy and his dog went for a walk in the forest. They saw a tall tree and a small bird. The bird was sad because it could not fly. The boy wanted to help",
            "The sun was hot and the sky was blue.",
            "Ben liked to play with his toy car. He made it go fast and",
        ];
        var tokenizer = Reference.Model.Tokenizer;
        return Enumerable.Range(0, count).Select(i => tokenizer.Encode(seeds[i % seeds.Length] + (i >= seeds.Length ? $" and {i}" : ""))).ToArray();
    }
}
