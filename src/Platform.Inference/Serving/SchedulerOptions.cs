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

    /// <summary>
    /// Admission's first estimate of the share of their remaining max_tokens that running sequences will still
    /// write (SGLang's <c>init_new_token_ratio</c>): a new sequence is admitted only if the free blocks hold its
    /// prompt and that share of its output besides that share of every running sequence's. The estimate falls by
    /// (initial − minimum) / <see cref="NewTokenRatioDecaySteps"/> each step and rises again after a preemption, to
    /// the share the running sequences have actually written plus <see cref="PreemptionLookaheadSteps"/> tokens each.
    /// 0 admits whenever the next chunk fits (vLLM's optimistic admission), which preempts, and so recomputes, more.
    /// Null: chosen by the device the model runs on (<see cref="ForDevice"/>).
    /// </summary>
    public double? InitialNewTokenRatio { get; init; }

    /// <summary>The estimate a CPU model starts with (SGLang's default), and the scheduler's when none was chosen.</summary>
    public const double EstimatingRatio = 0.7;

    /// <summary>
    /// The options with <see cref="InitialNewTokenRatio"/> decided where it was left to the device: on the CPU, a
    /// recomputed token costs about what a decoded one does, so admission estimates (<see cref="EstimatingRatio"/>);
    /// on a GPU a recomputed prefill costs about one step whatever its length, and optimistic admission (0) keeps
    /// more sequences running. serving-bench measures both on either device.
    /// </summary>
    public SchedulerOptions ForDevice(bool cpu) =>
        InitialNewTokenRatio is null ? this with { InitialNewTokenRatio = cpu ? EstimatingRatio : 0 } : this;

    /// <summary>The estimate never falls below this (SGLang: 0.14 × the initial ratio), nor above the initial ratio.</summary>
    public double MinNewTokenRatio { get; init; } = 0.1;

    /// <summary>Steps over which the estimate falls from the initial to the minimum ratio.</summary>
    public int NewTokenRatioDecaySteps { get; init; } = 600;

    /// <summary>After a preemption, the estimate counts this many more tokens for every running sequence.</summary>
    public int PreemptionLookaheadSteps { get; init; } = 20;

    /// <summary>A sequence's remaining max_tokens counts at most this much in the estimate (a request without a real
    /// limit would otherwise reserve the whole context).</summary>
    public int NewTokenEstimateClip { get; init; } = 4096;
}
