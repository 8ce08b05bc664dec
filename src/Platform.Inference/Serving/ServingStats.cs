namespace Platform.Inference.Serving;

/// <summary>A snapshot of an engine's state, published after every step.</summary>
public sealed record ServingStats
{
    /// <summary>Waiting sequences per priority class (index = class).</summary>
    public int[] Waiting { get; init; } = new int[3];

    /// <summary>Running sequences per priority class.</summary>
    public int[] Running { get; init; } = new int[3];

    /// <summary>KV blocks referenced by sequences.</summary>
    public int KvBlocksUsed { get; init; }

    /// <summary>KV blocks that can be handed out (free or evictable cached).</summary>
    public int KvBlocksFree { get; init; }

    /// <summary>Prompt tokens looked up in the prefix cache.</summary>
    public long PrefixQueriedTokens { get; init; }

    /// <summary>Prompt tokens found in the prefix cache.</summary>
    public long PrefixHitTokens { get; init; }

    /// <summary>Preemptions so far.</summary>
    public long Preemptions { get; init; }

    /// <summary>
    /// Admission's current estimate of the share of their remaining max_tokens that running sequences will still write
    /// (0: optimistic admission); a high value with free blocks and waiting requests means admission is holding back.
    /// </summary>
    public double AdmissionNewTokenRatio { get; init; }

    /// <summary>Sequences cancelled by their client before finishing.</summary>
    public long Cancelled { get; init; }

    /// <summary>
    /// LoRA stacks built so far. A stack is kept while it holds every adapter a batch needs, so this grows with new
    /// adapters arriving, not with steps; growing about once a step means batches keep needing adapters it lacks.
    /// </summary>
    public long AdapterStackBuilds { get; init; }

    /// <summary>Where the forwards so far spent their time (host preparation, issuing, waiting for logits, sampling).</summary>
    public StepPhases Phases { get; init; } = new();

    /// <summary>Generated tokens per second over the last few seconds.</summary>
    public double TokensPerSecond { get; init; }

    /// <summary>Hits ÷ queries (0 before any query).</summary>
    public double PrefixHitRate => PrefixQueriedTokens == 0 ? 0 : (double)PrefixHitTokens / PrefixQueriedTokens;
}
