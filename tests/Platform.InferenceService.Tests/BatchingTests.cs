using Platform.Inference.Serving;

namespace Platform.InferenceService.Tests;

/// <summary>Continuous batching, the paged KV cache, preemption, prefix reuse and cancellation on the real model.</summary>
public sealed class BatchingTests
{
    [Fact]
    public async Task ThirtyTwoConcurrentMixedRequests_EqualThoseRunOneByOne()
    {
        using var engine = EngineHarness.Start(maxBatchedTokens: 64, prefillChunk: 24);
        var prompts = EngineHarness.MixedPrompts(32);
        var requests = prompts.Select((p, i) => EngineHarness.Greedy(p, 4 + i * 7 % 61, salt: "batch-" + (i % 3))).ToList();

        var alone = new List<(string Text, int Tokens, Platform.Inference.Generation.FinishReason? Finish)>();
        foreach (var request in requests)
        {
            alone.Add(await EngineHarness.Run(engine, request with { CacheSalt = "alone-" + alone.Count }));
        }
        var together = await Task.WhenAll(requests.Select(r => EngineHarness.Run(engine, r)));

        Assert.Equal(alone, together);
        // The one-by-one runs equal the single-sequence engine core (dense cache, whole-prompt prefill).
        for (var i = 0; i < requests.Count; i += 5)
        {
            Assert.Equal(Reference.Greedy(requests[i].PromptTokens, requests[i].Parameters.MaxTokens).Text, alone[i].Text);
        }
        Assert.Equal(0, engine.Stats.Preemptions);
        var phases = engine.Stats.Phases;
        Assert.True(phases.Forwards >= requests.Sum(r => r.Parameters.MaxTokens) / 32, $"{phases.Forwards} forwards");
        Assert.True(phases.ForwardSeconds > 0 && phases.PrepareSeconds > 0 && phases.SampleSeconds > 0 && phases.DeviceWaitSeconds >= 0);
    }

    [Fact]
    public async Task SeededSampling_IsTheSameInABatchAsAlone()
    {
        using var engine = EngineHarness.Start();
        var requests = EngineHarness.MixedPrompts(8).Select((p, i) => EngineHarness.Greedy(p, 24, salt: "seeded") with
        {
            Parameters = new Platform.Inference.Generation.SamplingParameters
            {
                Temperature = 0.9, TopP = 0.95, TopK = 40, Seed = 1000 + i, MaxTokens = 24, Stop = ["."], FrequencyPenalty = 0.3,
            },
        }).ToList();
        var alone = new List<string>();
        foreach (var request in requests)
        {
            alone.Add((await EngineHarness.Run(engine, request)).Text);
        }
        var together = await Task.WhenAll(requests.Select(r => EngineHarness.Run(engine, r)));
        Assert.Equal(alone, together.Select(t => t.Text));
        Assert.True(alone.Distinct().Count() > 1);
        Assert.All(alone, text => Assert.DoesNotContain(".", text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PoolTooSmallForAll_PreemptsAndStillGivesIdenticalOutputs()
    {
        // 10 blocks (plus one scratch block) = 160 token slots for 12 requests of up to ~100 tokens each, admitted
        // optimistically (no estimate of their future tokens) so that running sequences must be preempted.
        var blockBytes = PagedKvPool.BytesPerBlockFor(Reference.Model.Model.Config, 16);
        using var engine = EngineHarness.Start(kvBytes: 11 * blockBytes, maxBatchedTokens: 64, prefillChunk: 32, initialNewTokenRatio: 0);
        Assert.Equal(10, engine.TotalBlocks);
        var prompts = EngineHarness.MixedPrompts(12);
        var requests = prompts.Select((p, i) => EngineHarness.Greedy(p, 30 + i * 5, salt: "s" + i)).ToList();
        var expected = requests.Select(r => Reference.Greedy(r.PromptTokens, r.Parameters.MaxTokens).Text).ToList();

        var results = await Task.WhenAll(requests.Select(r => EngineHarness.Run(engine, r)));

        Assert.Equal(expected, results.Select(r => r.Text).ToList());
        Assert.True(engine.Stats.Preemptions > 0, "the pool should have been too small without preemption");
    }

    [Fact]
    public void RequestLargerThanTheWholePool_IsRejectedAtSubmission()
    {
        var blockBytes = PagedKvPool.BytesPerBlockFor(Reference.Model.Model.Config, 16);
        using var engine = EngineHarness.Start(kvBytes: 5 * blockBytes);
        Assert.Equal(64, engine.PoolTokenCapacity);
        var prompt = EngineHarness.MixedPrompts(1)[0];
        var error = Assert.Throws<ArgumentException>(() => engine.Submit(EngineHarness.Greedy(prompt, 64)));
        Assert.Contains("64 tokens", error.Message, StringComparison.Ordinal);
        Assert.Throws<Platform.Inference.Generation.SamplingParameterException>(() =>
            engine.Submit(EngineHarness.Greedy(prompt, 4) with { Parameters = new() { Temperature = -1 } }));
    }

    [Fact]
    public async Task SharedPrefix_IsReusedWithinATenant_NotAcrossTenants()
    {
        using var engine = EngineHarness.Start();
        var prefix = Reference.Model.Tokenizer.Encode("Once upon a time, in a small town, there lived a girl named Lily. She loved to play outside with her friends every day.");
        var first = engine.Submit(EngineHarness.Greedy([.. prefix, 300], 4, salt: "tenant-a"));
        await EngineHarness.Collect(first);
        Assert.Equal(0, first.CachedPromptTokens);

        var sameTenant = engine.Submit(EngineHarness.Greedy([.. prefix, 301], 4, salt: "tenant-a"));
        var sameTenantResult = await EngineHarness.Collect(sameTenant);
        var otherTenant = engine.Submit(EngineHarness.Greedy([.. prefix, 301], 4, salt: "tenant-b"));
        var otherTenantResult = await EngineHarness.Collect(otherTenant);

        Assert.Equal(prefix.Count / 16 * 16, sameTenant.CachedPromptTokens);
        Assert.True(sameTenant.CachedPromptTokens >= 16);
        Assert.Equal(0, otherTenant.CachedPromptTokens);
        Assert.Equal(sameTenantResult.Text, otherTenantResult.Text);
        Assert.Equal(Reference.Greedy([.. prefix, 301], 4).Text, sameTenantResult.Text);
    }

    [Fact]
    public async Task Cancel_FreesBlocksAndOthersContinue()
    {
        using var engine = EngineHarness.Start(maxBatchedTokens: 32, prefillChunk: 16);
        var prompts = EngineHarness.MixedPrompts(4);
        var victim = engine.Submit(EngineHarness.Greedy(prompts[3], 400));
        var other = EngineHarness.Run(engine, EngineHarness.Greedy(prompts[1], 40, salt: "other"));
        await victim.Outputs.ReadAsync();
        victim.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in victim.Outputs.ReadAllAsync())
            {
            }
        });
        Assert.Equal(Reference.Greedy(prompts[1], 40).Text, (await other).Text);
        await WaitFor(() => engine.Stats.KvBlocksUsed == 0 && engine.Stats.Running.Sum() == 0);
    }

    [Fact]
    public async Task PriorityClasses_AllComplete_UnderContention()
    {
        using var engine = EngineHarness.Start(maxBatchedTokens: 32, prefillChunk: 16, maxRunning: 2);
        var prompts = EngineHarness.MixedPrompts(9);
        var classes = new[] { PriorityClass.Batch, PriorityClass.Consumer, PriorityClass.Enterprise };
        var requests = prompts.Select((p, i) => EngineHarness.Greedy(p, 10, salt: "p" + i, priority: classes[i % 3])).ToList();
        var results = await Task.WhenAll(requests.Select(r => EngineHarness.Run(engine, r)));
        Assert.Equal(requests.Select(r => Reference.Greedy(r.PromptTokens, 10).Text), results.Select(r => r.Text));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
