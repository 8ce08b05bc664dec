using System.ComponentModel.DataAnnotations;

namespace Platform.Services.FineTune;

/// <summary>Where training memory comes from (section <c>FineTune:Pool</c>).</summary>
public sealed class PoolOptions
{
    public const string Local = "local";
    public const string Scheduler = "scheduler";

    /// <summary>
    /// <c>local</c>: this host's CPU, one job at a time, never preempted. <c>scheduler</c>: each job asks the
    /// GPU pool scheduler (<c>Services:scheduler</c>) for memory, waits while it is pending and gives it back
    /// when preempted or done.
    /// </summary>
    [Required, RegularExpression("^(local|scheduler)$")]
    public string Mode { get; set; } = Local;

    /// <summary>The scheduling class fine-tunes ask for.</summary>
    [Required, RegularExpression("^(enterprise-guaranteed|enterprise|consumer|batch)$")]
    public string Priority { get; set; } = "batch";

    /// <summary>How often a pending request and a granted lease are checked with the scheduler.</summary>
    [Range(10, 60_000)]
    public int PollIntervalMs { get; set; } = 1000;

    /// <summary>Told to the scheduler: how long a preempted job needs to checkpoint (its grace period).</summary>
    [Range(0, 3600)]
    public double CheckpointSeconds { get; set; } = 30;

    /// <summary>Told to the scheduler: what a restart costs (loading the model, restoring the checkpoint).</summary>
    [Range(0, 3600)]
    public double RestartSeconds { get; set; } = 30;

    /// <summary>Runtime overhead per device in the memory estimate (the scheduler's default is 1 GiB).</summary>
    [Range(0, long.MaxValue)]
    public long RuntimeOverheadBytes { get; set; } = 1L << 30;
}

/// <summary>Queue-wait and training-time estimates (section <c>FineTune:Estimates</c>).</summary>
public sealed class EstimateOptions
{
    /// <summary>Training throughput assumed for a base model this service has not finished a job on yet.</summary>
    [Range(0.001, 1e9)]
    public double DefaultTokensPerSecond { get; set; } = 500;

    /// <summary>Succeeded jobs of this many past days give a model's observed throughput.</summary>
    [Range(1, 365)]
    public int HistoryDays { get; set; } = 14;
}
