namespace Platform.Inference.Serving;

/// <summary>
/// What the scheduler knows about one sequence: its tokens (prompt then output), how many of them
/// have keys/values in the cache, its block table, and its priority and age. The first
/// <see cref="ComputedTokens"/> tokens are cached; the rest (at least one while it runs) are
/// computed by the next chunks. After preemption the whole sequence is recomputed.
/// </summary>
public class SequenceState
{
    /// <summary>Creates the state of a request whose prompt is <paramref name="promptTokens"/>.</summary>
    /// <param name="maxNewTokens">The most tokens it may generate (its max_tokens); 0 when unknown.</param>
    public SequenceState(long id, IReadOnlyList<int> promptTokens, PriorityClass priority, UInt128 hashRoot, int maxNewTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfZero(promptTokens.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        Id = id;
        MaxNewTokens = maxNewTokens;
        Priority = priority;
        HashRoot = hashRoot;
        Tokens = [.. promptTokens];
        PromptLength = promptTokens.Count;
    }

    /// <summary>Engine-wide id (also the arrival order).</summary>
    public long Id { get; }

    /// <summary>Scheduling class.</summary>
    public PriorityClass Priority { get; }

    /// <summary>Start of the block hash chain (cache salt + adapter).</summary>
    public UInt128 HashRoot { get; }

    /// <summary>Prompt tokens followed by generated ones.</summary>
    public List<int> Tokens { get; }

    /// <summary>How many of <see cref="Tokens"/> are the prompt.</summary>
    public int PromptLength { get; }

    /// <summary>The most tokens it may generate (0: unknown); admission estimates its future blocks from it.</summary>
    public int MaxNewTokens { get; }

    /// <summary>Tokens it may still generate, as far as <see cref="MaxNewTokens"/> tells.</summary>
    public int RemainingNewTokens => Math.Max(0, MaxNewTokens - (Tokens.Count - PromptLength));

    /// <summary>Tokens whose keys/values are in the cache.</summary>
    public int ComputedTokens { get; internal set; }

    /// <summary>Tokens still to run through the model.</summary>
    public int PendingTokens => Tokens.Count - ComputedTokens;

    /// <summary>KV blocks in position order.</summary>
    public List<int> Blocks { get; } = [];

    /// <summary>Hashes of the full, computed blocks at the start of <see cref="Blocks"/>.</summary>
    public List<UInt128> BlockHashes { get; } = [];

    /// <summary>Scheduler step at which the sequence (last) started waiting; drives aging.</summary>
    public long EnqueuedStep { get; internal set; }

    /// <summary>Order of admission to the running set (later = larger); preemption picks the largest.</summary>
    public long StartOrder { get; internal set; }

    /// <summary>Times this sequence was preempted and recomputed.</summary>
    public int Preemptions { get; internal set; }

    /// <summary>Prompt tokens served from the prefix cache at the last admission.</summary>
    public int CachedPromptTokens { get; internal set; }

    /// <summary>
    /// Whether admission may attach cached prefix blocks; false while the sequence needs the logits of its prompt
    /// positions, which a cached block does not keep.
    /// </summary>
    public virtual bool ReusesCachedPrefix => true;

    /// <summary>The KV slot (block × block size + offset) of position <paramref name="position"/>.</summary>
    public int Slot(int position, int blockSize) => Blocks[position / blockSize] * blockSize + position % blockSize;
}
