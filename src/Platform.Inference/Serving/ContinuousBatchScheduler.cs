namespace Platform.Inference.Serving;

/// <summary>
/// Iteration-level scheduling (vLLM-style, pure policy). Each <see cref="Schedule"/> call plans one
/// model step within a token budget: running sequences first (highest priority class, then earliest
/// started), each one decode token or a prefill chunk; when the KV pool cannot hold a running
/// sequence's next tokens, the lowest-priority, most recently started sequence is preempted
/// (blocks freed, later recomputed); then, if nothing was preempted, waiting sequences are
/// admitted in order of aged priority and arrival, reusing cached prefix blocks. Admission looks
/// ahead as SGLang's does: the free blocks must hold the newcomer's prompt plus an estimated share
/// (<see cref="NewTokenRatio"/>) of its and every running sequence's remaining max_tokens, so the
/// running set is not grown into preemptions whose recomputation costs more than the extra
/// concurrency gains. A waiting sequence that does not fit stops admission (no overtaking, so
/// large requests are not starved). Not thread-safe: the engine loop owns it.
/// </summary>
public sealed class ContinuousBatchScheduler(KvBlockManager blocks, SchedulerOptions options)
{
    private readonly List<SequenceState> _waiting = [];
    private readonly List<SequenceState> _running = [];
    private readonly double _initialRatio = InitialRatio(options);
    private readonly double _minRatio = Math.Clamp(options.MinNewTokenRatio, 0, InitialRatio(options));
    private long _step;
    private long _started;

    /// <summary>The block pool.</summary>
    public KvBlockManager Blocks => blocks;

    /// <summary>Step limits.</summary>
    public SchedulerOptions Options => options;

    /// <summary>Sequences waiting for admission (including preempted ones).</summary>
    public IReadOnlyList<SequenceState> Waiting => _waiting;

    /// <summary>Sequences holding KV blocks.</summary>
    public IReadOnlyList<SequenceState> Running => _running;

    /// <summary>Prompt tokens looked up in the prefix cache at admission.</summary>
    public long PrefixQueriedTokens { get; private set; }

    /// <summary>Of <see cref="PrefixQueriedTokens"/>, those found cached.</summary>
    public long PrefixHitTokens { get; private set; }

    /// <summary>Preemptions so far.</summary>
    public long PreemptionCount { get; private set; }

    /// <summary>
    /// The share of their remaining max_tokens that running sequences are expected to still write (see
    /// <see cref="SchedulerOptions.InitialNewTokenRatio"/>); admission keeps that many tokens of blocks free.
    /// </summary>
    public double NewTokenRatio { get; private set; } = InitialRatio(options);

    private static double InitialRatio(SchedulerOptions options) => Math.Max(0, options.InitialNewTokenRatio ?? SchedulerOptions.EstimatingRatio);

    /// <summary>Blocks a sequence of <paramref name="tokens"/> tokens needs.</summary>
    public int BlocksFor(int tokens) => (tokens + blocks.BlockSize - 1) / blocks.BlockSize;

    /// <summary>Queues <paramref name="sequence"/>.</summary>
    public void Add(SequenceState sequence)
    {
        sequence.EnqueuedStep = _step;
        _waiting.Add(sequence);
    }

    /// <summary>Drops a finished or cancelled sequence and releases its blocks at once.</summary>
    public bool Remove(SequenceState sequence)
    {
        var removed = _running.Remove(sequence) | _waiting.Remove(sequence);
        ReleaseBlocks(sequence);
        return removed;
    }

    /// <summary>
    /// Records that the chunk's tokens now have cached keys/values; newly completed blocks become
    /// findable by their chain hash.
    /// </summary>
    public void Computed(ScheduledChunk chunk)
    {
        var sequence = chunk.Sequence;
        sequence.ComputedTokens = chunk.Start + chunk.Count;
        var size = blocks.BlockSize;
        var block = new int[size];
        while (sequence.BlockHashes.Count < sequence.ComputedTokens / size)
        {
            var index = sequence.BlockHashes.Count;
            sequence.Tokens.CopyTo(index * size, block, 0, size);
            var parent = index == 0 ? sequence.HashRoot : sequence.BlockHashes[index - 1];
            var hash = BlockHasher.Next(parent, block);
            blocks.Register(sequence.Blocks[index], hash);
            sequence.BlockHashes.Add(hash);
        }
    }

    /// <summary>Plans the next step (see the class summary).</summary>
    public SchedulerStep Schedule()
    {
        _step++;
        if (NewTokenRatio > 0)
        {
            NewTokenRatio = Math.Max(_minRatio, NewTokenRatio - (_initialRatio - _minRatio) / Math.Max(1, options.NewTokenRatioDecaySteps));
        }
        var chunks = new List<ScheduledChunk>();
        var preempted = new List<SequenceState>();
        var planned = new HashSet<SequenceState>();
        var budget = options.MaxBatchedTokens;
        foreach (var sequence in _running.OrderBy(s => s.Priority).ThenBy(s => s.StartOrder).ToList())
        {
            if (budget == 0)
            {
                break;
            }
            if (!_running.Contains(sequence))
            {
                continue;
            }
            var count = ChunkSize(sequence, budget);
            while (!EnsureBlocks(sequence, count))
            {
                var victim = _running.Where(s => !planned.Contains(s))
                    .OrderByDescending(s => s.Priority).ThenByDescending(s => s.StartOrder).First();
                Preempt(victim);
                preempted.Add(victim);
                if (victim == sequence)
                {
                    break;
                }
            }
            if (!_running.Contains(sequence))
            {
                continue;
            }
            chunks.Add(new ScheduledChunk(sequence, sequence.ComputedTokens, count));
            planned.Add(sequence);
            budget -= count;
        }
        if (preempted.Count == 0)
        {
            Admit(chunks, ref budget);
        }
        else if (_initialRatio > 0)
        {
            RaiseRatioAfterPreemption();
        }
        return new SchedulerStep(chunks, preempted);
    }

    private void Admit(List<ScheduledChunk> chunks, ref int budget)
    {
        var step = _step;
        var order = _waiting
            .OrderBy(s => Math.Max(0, (int)s.Priority - (int)((step - s.EnqueuedStep) / Math.Max(1, options.AgingSteps))))
            .ThenBy(s => s.Id)
            .ToList();
        foreach (var sequence in order)
        {
            if (budget == 0 || _running.Count >= options.MaxRunningSequences)
            {
                break;
            }
            // Keep at least one token to compute: its logits pick the next token.
            var reusable = sequence.ReusesCachedPrefix ? (sequence.Tokens.Count - 1) / blocks.BlockSize : 0;
            var matched = blocks.Match(BlockHasher.Chain(sequence.HashRoot, sequence.Tokens, blocks.BlockSize, reusable));
            sequence.Blocks.AddRange(matched);
            sequence.ComputedTokens = matched.Count * blocks.BlockSize;
            var count = ChunkSize(sequence, budget);
            if ((_running.Count > 0 && !FitsWithEstimate(sequence)) || !EnsureBlocks(sequence, count))
            {
                ReleaseBlocks(sequence);
                break;
            }
            // Hashes of the matched blocks, so later blocks chain on from them.
            sequence.BlockHashes.AddRange(BlockHasher.Chain(sequence.HashRoot, sequence.Tokens, blocks.BlockSize, matched.Count));
            sequence.CachedPromptTokens = Math.Min(sequence.ComputedTokens, sequence.PromptLength);
            PrefixQueriedTokens += sequence.Tokens.Count;
            PrefixHitTokens += sequence.ComputedTokens;
            _waiting.Remove(sequence);
            _running.Add(sequence);
            sequence.StartOrder = ++_started;
            chunks.Add(new ScheduledChunk(sequence, sequence.ComputedTokens, count));
            budget -= count;
        }
    }

    /// <summary>
    /// Whether the free blocks hold what <paramref name="candidate"/> (its matched prefix blocks already attached) and
    /// the running sequences are estimated to still need: every token not yet in one of their blocks, plus
    /// <see cref="NewTokenRatio"/> of their remaining max_tokens.
    /// </summary>
    private bool FitsWithEstimate(SequenceState candidate)
    {
        var needed = EstimatedTokensBeyondBlocks(candidate);
        foreach (var sequence in _running)
        {
            needed += EstimatedTokensBeyondBlocks(sequence);
        }
        return needed <= (double)blocks.AvailableBlocks * blocks.BlockSize;
    }

    private double EstimatedTokensBeyondBlocks(SequenceState sequence) =>
        Math.Max(0, sequence.Tokens.Count + NewTokenRatio * Math.Min(sequence.RemainingNewTokens, options.NewTokenEstimateClip)
            - (double)sequence.Blocks.Count * blocks.BlockSize);

    /// <summary>
    /// After a preemption the estimate was too low: raise it to the share of their max_tokens the running sequences
    /// have written, plus a lookahead of <see cref="SchedulerOptions.PreemptionLookaheadSteps"/> tokens each
    /// (SGLang's <c>retract_decode</c>).
    /// </summary>
    private void RaiseRatioAfterPreemption()
    {
        long written = 0, limit = 0;
        foreach (var sequence in _running.Where(s => s.MaxNewTokens > 0))
        {
            written += sequence.Tokens.Count - sequence.PromptLength;
            limit += sequence.MaxNewTokens;
        }
        if (limit > 0)
        {
            var observed = (written + (double)options.PreemptionLookaheadSteps * _running.Count) / limit;
            NewTokenRatio = Math.Clamp(Math.Max(NewTokenRatio, observed), _minRatio, 1);
        }
    }

    private int ChunkSize(SequenceState sequence, int budget) =>
        Math.Min(sequence.PendingTokens, Math.Min(budget, Math.Max(1, options.PrefillChunk)));

    private bool EnsureBlocks(SequenceState sequence, int count)
    {
        var needed = BlocksFor(sequence.ComputedTokens + count) - sequence.Blocks.Count;
        if (needed <= 0)
        {
            return true;
        }
        if (!blocks.CanAllocate(needed))
        {
            return false;
        }
        for (var i = 0; i < needed; i++)
        {
            sequence.Blocks.Add(blocks.Allocate());
        }
        return true;
    }

    private void Preempt(SequenceState sequence)
    {
        _running.Remove(sequence);
        ReleaseBlocks(sequence);
        sequence.Preemptions++;
        PreemptionCount++;
        // Keeps its original EnqueuedStep and id: it has aged and goes back ahead of later arrivals.
        _waiting.Add(sequence);
    }

    private void ReleaseBlocks(SequenceState sequence)
    {
        foreach (var block in sequence.Blocks)
        {
            blocks.Release(block);
        }
        sequence.Blocks.Clear();
        sequence.BlockHashes.Clear();
        sequence.ComputedTokens = 0;
    }
}
