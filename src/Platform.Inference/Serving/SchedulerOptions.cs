namespace Platform.Inference.Serving;

/// <summary>Limits of one engine step.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Most tokens run through the model in one step (decode tokens plus prefill chunks).</summary>
    public int MaxBatchedTokens { get; init; } = 512;

    /// <summary>Most tokens of one sequence's prefill in one step (chunked prefill).</summary>
    public int PrefillChunk { get; init; } = 256;

    /// <summary>Most sequences running at once.</summary>
    public int MaxRunningSequences { get; init; } = 64;

    /// <summary>
    /// Anti-starvation: a waiting sequence moves up one priority class for every this many steps
    /// it has waited (so batch work is admitted eventually under constant enterprise load).
    /// </summary>
    public int AgingSteps { get; init; } = 256;
}
