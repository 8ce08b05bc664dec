using Platform.Inference.Serving;

namespace Platform.Inference.Tests.Serving;

public sealed class SchedulerTests
{
    private static long s_id;

    private static SequenceState Sequence(int promptLength, PriorityClass priority = PriorityClass.Consumer, string salt = "t", int first = 1,
        int maxNewTokens = 0) =>
        new(Interlocked.Increment(ref s_id), [.. Enumerable.Range(first, promptLength)], priority, BlockHasher.Root(salt, ""), maxNewTokens);

    /// <summary>Pretends the model ran the step: every sampling chunk appends one token.</summary>
    private static void Complete(ContinuousBatchScheduler scheduler, SchedulerStep step)
    {
        foreach (var chunk in step.Chunks)
        {
            scheduler.Computed(chunk);
            if (chunk.Samples)
            {
                chunk.Sequence.Tokens.Add(7);
            }
        }
    }

    [Fact]
    public void ChunkedPrefill_RespectsTokenBudget_AndDecodesRunFirst()
    {
        var scheduler = new ContinuousBatchScheduler(new KvBlockManager(64, 16), new SchedulerOptions { MaxBatchedTokens = 20, PrefillChunk = 16 });
        var a = Sequence(5);
        scheduler.Add(a);
        var step = scheduler.Schedule();
        Assert.Equal([(a, 0, 5)], step.Chunks.Select(c => (c.Sequence, c.Start, c.Count)));
        Complete(scheduler, step);

        var b = Sequence(40, first: 100);
        scheduler.Add(b);
        step = scheduler.Schedule();
        // a decodes one token; b gets a 16-token chunk (chunk limit), within the budget of 20.
        Assert.Equal([(a, 5, 1), (b, 0, 16)], step.Chunks.Select(c => (c.Sequence, c.Start, c.Count)));
        Assert.False(step.Chunks[1].Samples);
        Complete(scheduler, step);
        step = scheduler.Schedule();
        Assert.Equal([(a, 6, 1), (b, 16, 16)], step.Chunks.Select(c => (c.Sequence, c.Start, c.Count)));
        Complete(scheduler, step);
        step = scheduler.Schedule();
        Assert.Equal([(a, 7, 1), (b, 32, 8)], step.Chunks.Select(c => (c.Sequence, c.Start, c.Count)));
        Assert.True(step.Chunks[1].Samples);
        Assert.True(step.TokenCount <= 20);
    }

    [Fact]
    public void Admission_FollowsPriorityThenArrival()
    {
        var scheduler = new ContinuousBatchScheduler(new KvBlockManager(64, 16), new SchedulerOptions { MaxRunningSequences = 2 });
        var batch = Sequence(4, PriorityClass.Batch);
        var consumer = Sequence(4, PriorityClass.Consumer);
        var enterprise1 = Sequence(4, PriorityClass.Enterprise);
        var enterprise2 = Sequence(4, PriorityClass.Enterprise);
        foreach (var s in new[] { batch, consumer, enterprise1, enterprise2 })
        {
            scheduler.Add(s);
        }
        var step = scheduler.Schedule();
        Assert.Equal([enterprise1, enterprise2], step.Chunks.Select(c => c.Sequence));
        Assert.Equal([batch, consumer], scheduler.Waiting.OrderBy(s => s.Id));
    }

    [Fact]
    public void Aging_AdmitsWaitingBatchWorkAheadOfFreshEnterpriseWork()
    {
        var scheduler = new ContinuousBatchScheduler(new KvBlockManager(256, 16),
            new SchedulerOptions { MaxRunningSequences = 1, AgingSteps = 3 });
        var hog = Sequence(4, PriorityClass.Enterprise);
        scheduler.Add(hog);
        Complete(scheduler, scheduler.Schedule());
        var batch = Sequence(4, PriorityClass.Batch);
        scheduler.Add(batch);
        // Steps pass while the single running slot is busy.
        for (var i = 0; i < 6; i++)
        {
            Complete(scheduler, scheduler.Schedule());
        }
        scheduler.Remove(hog);
        var fresh = Sequence(4, PriorityClass.Enterprise);
        scheduler.Add(fresh);
        var step = scheduler.Schedule();
        Assert.Equal([batch], step.Chunks.Select(c => c.Sequence));
    }

    [Fact]
    public void OutOfBlocks_PreemptsLowestPriorityMostRecentlyStarted_ThenRecomputes()
    {
        var blocks = new KvBlockManager(3, 4);
        var scheduler = new ContinuousBatchScheduler(blocks, new SchedulerOptions { MaxBatchedTokens = 64, PrefillChunk = 64 });
        var enterprise = Sequence(4, PriorityClass.Enterprise);
        var consumerOld = Sequence(3, PriorityClass.Consumer);
        var consumerNew = Sequence(3, PriorityClass.Consumer);
        scheduler.Add(enterprise);
        scheduler.Add(consumerOld);
        scheduler.Add(consumerNew);
        var step = scheduler.Schedule();
        Assert.Equal(3, step.Chunks.Count);
        Complete(scheduler, step);
        Assert.Equal(0, blocks.AvailableBlocks);

        // The enterprise sequence needs a second block for its 5th token: the newest consumer goes.
        step = scheduler.Schedule();
        Assert.Equal([consumerNew], step.Preempted);
        Assert.Equal(0, consumerNew.ComputedTokens);
        Assert.Empty(consumerNew.Blocks);
        Assert.Equal(4, consumerNew.Tokens.Count);   // keeps its generated token, recomputed later
        Assert.Contains(consumerNew, scheduler.Waiting);
        Assert.Equal([enterprise, consumerOld], step.Chunks.Select(c => c.Sequence));
        Complete(scheduler, step);

        scheduler.Remove(enterprise);
        scheduler.Remove(consumerOld);
        step = scheduler.Schedule();
        Assert.Equal([(consumerNew, 0, 4)], step.Chunks.Select(c => (c.Sequence, c.Start, c.Count)));
        Assert.Equal(1, consumerNew.Preemptions);
    }

    [Fact]
    public void Admission_KeepsRoomForTheEstimatedOutputOfRunningSequences()
    {
        // 16 blocks of 4 = 64 token slots. Each sequence: 4 prompt tokens + 0.7 × 40 max_tokens ≈ 32 tokens estimated.
        var options = new SchedulerOptions { MaxBatchedTokens = 64, PrefillChunk = 64, NewTokenRatioDecaySteps = 1_000_000 };
        var sequences = Enumerable.Range(0, 3).Select(i => Sequence(4, first: 10 * i + 1, maxNewTokens: 40)).ToList();

        var estimating = new ContinuousBatchScheduler(new KvBlockManager(16, 4), options);
        sequences.ForEach(estimating.Add);
        Assert.Equal(sequences.Take(2), estimating.Schedule().Chunks.Select(c => c.Sequence));
        Assert.Equal([sequences[2]], estimating.Waiting);

        // Optimistic admission (vLLM's) takes all three: their prompts fit now.
        var optimistic = new ContinuousBatchScheduler(new KvBlockManager(16, 4), options with { InitialNewTokenRatio = 0 });
        var again = Enumerable.Range(0, 3).Select(i => Sequence(4, first: 10 * i + 1, maxNewTokens: 40)).ToList();
        again.ForEach(optimistic.Add);
        Assert.Equal(again, optimistic.Schedule().Chunks.Select(c => c.Sequence));
    }

    [Fact]
    public void EstimatedAdmission_PreemptsLessThanOptimistic_AndEveryTokenIsStillWritten()
    {
        var optimistic = RunToCompletion(new SchedulerOptions { MaxBatchedTokens = 64, PrefillChunk = 32, InitialNewTokenRatio = 0 });
        var estimating = RunToCompletion(new SchedulerOptions { MaxBatchedTokens = 64, PrefillChunk = 32 });
        Assert.True(optimistic.Preemptions > 0, "the workload should overfill the pool when admitted optimistically");
        Assert.True(estimating.Preemptions < optimistic.Preemptions,
            $"estimating admission preempted {estimating.Preemptions} times, optimistic {optimistic.Preemptions}");
        // Fewer preemptions, so fewer tokens computed twice.
        Assert.True(estimating.ComputedTokens < optimistic.ComputedTokens);
        Assert.Equal(optimistic.Written, estimating.Written);
    }

    [Fact]
    public void TheAdmissionLeftToTheDevice_EstimatesOnTheCpu_AndIsOptimisticOnAGpu()
    {
        Assert.Equal(SchedulerOptions.EstimatingRatio, new SchedulerOptions().ForDevice(cpu: true).InitialNewTokenRatio);
        Assert.Equal(0, new SchedulerOptions().ForDevice(cpu: false).InitialNewTokenRatio);
        Assert.Equal(0.3, new SchedulerOptions { InitialNewTokenRatio = 0.3 }.ForDevice(cpu: false).InitialNewTokenRatio);
        // Optimistic admission never estimates, even after a preemption.
        Assert.Equal(0, new ContinuousBatchScheduler(new KvBlockManager(4, 4), new SchedulerOptions().ForDevice(cpu: false)).NewTokenRatio);
    }

    [Fact]
    public void APreemption_RaisesTheEstimate_ToWhatRunningSequencesWrotePlusALookahead()
    {
        // Tiny pool, low estimate: the two sequences are admitted together, then one must be preempted.
        var options = new SchedulerOptions { MaxBatchedTokens = 64, PrefillChunk = 64, InitialNewTokenRatio = 0.1, MinNewTokenRatio = 0.1, PreemptionLookaheadSteps = 2 };
        var scheduler = new ContinuousBatchScheduler(new KvBlockManager(4, 4), options);
        var first = Sequence(4, first: 1, maxNewTokens: 10);
        var second = Sequence(4, first: 50, maxNewTokens: 10);
        scheduler.Add(first);
        scheduler.Add(second);
        SchedulerStep step;
        do
        {
            step = scheduler.Schedule();
            Complete(scheduler, step);
        }
        while (step.Preempted.Count == 0);
        Assert.Equal([second], step.Preempted);
        // first alone is running: it has written (tokens − 4) of its 10, plus 2 tokens of lookahead.
        var written = first.Tokens.Count - 1 - 4;   // before this step's token
        Assert.Equal((written + 2) / 10.0, scheduler.NewTokenRatio, 6);
    }

    /// <summary>
    /// Runs 24 sequences (8-token prompts, max_tokens 8..100, every one written to its limit) through a 48-block pool of 4
    /// tokens to the end: how often sequences were preempted, how many tokens were computed (recomputation included)
    /// and how many were written.
    /// </summary>
    private static (long Preemptions, long ComputedTokens, long Written) RunToCompletion(SchedulerOptions options)
    {
        var scheduler = new ContinuousBatchScheduler(new KvBlockManager(48, 4), options);
        var sequences = Enumerable.Range(0, 24).Select(i => Sequence(8, salt: "run" + i, first: 100 * i + 1, maxNewTokens: 8 + i * 37 % 93)).ToList();
        sequences.ForEach(scheduler.Add);
        long computed = 0, written = 0;
        for (var steps = 0; scheduler.Running.Count + scheduler.Waiting.Count > 0; steps++)
        {
            Assert.True(steps < 100_000, "the workload did not finish");
            var step = scheduler.Schedule();
            foreach (var chunk in step.Chunks)
            {
                computed += chunk.Count;
                scheduler.Computed(chunk);
                if (chunk.Samples)
                {
                    var sequence = chunk.Sequence;
                    sequence.Tokens.Add(7);
                    written++;
                    if (sequence.RemainingNewTokens == 0)
                    {
                        scheduler.Remove(sequence);
                    }
                }
            }
        }
        return (scheduler.PreemptionCount, computed, written);
    }

    [Fact]
    public void PrefixBlocks_AreReusedOnlyUnderTheSameSalt()
    {
        var blocks = new KvBlockManager(16, 4);
        var scheduler = new ContinuousBatchScheduler(blocks, new SchedulerOptions());
        var first = Sequence(10, salt: "a");
        scheduler.Add(first);
        Complete(scheduler, scheduler.Schedule());
        scheduler.Remove(first);

        var same = Sequence(10, salt: "a");
        var other = Sequence(10, salt: "b");
        scheduler.Add(same);
        scheduler.Add(other);
        var step = scheduler.Schedule();
        Assert.Equal([(same, 8, 2), (other, 0, 10)], step.Chunks.Select(c => (c.Sequence, c.Start, c.Count)));
        Assert.Equal(8, same.CachedPromptTokens);
        Assert.Equal(20, scheduler.PrefixQueriedTokens - 10);
        Assert.Equal(8, scheduler.PrefixHitTokens);
    }

    [Fact]
    public void FullyCachedPrompt_StillComputesItsLastToken()
    {
        var scheduler = new ContinuousBatchScheduler(new KvBlockManager(16, 4), new SchedulerOptions());
        var first = Sequence(8);
        scheduler.Add(first);
        Complete(scheduler, scheduler.Schedule());
        scheduler.Remove(first);
        var again = Sequence(8);
        scheduler.Add(again);
        var step = scheduler.Schedule();
        Assert.Equal([(again, 4, 4)], step.Chunks.Select(c => (c.Sequence, c.Start, c.Count)));
    }

    [Fact]
    public void Remove_ReleasesBlocksAtOnce()
    {
        var blocks = new KvBlockManager(8, 4);
        var scheduler = new ContinuousBatchScheduler(blocks, new SchedulerOptions());
        var s = Sequence(9);
        scheduler.Add(s);
        scheduler.Schedule();
        Assert.Equal(3, blocks.UsedBlocks);
        Assert.True(scheduler.Remove(s));
        Assert.Equal(0, blocks.UsedBlocks);
        Assert.Empty(scheduler.Running);
    }
}
