using Platform.Scheduling.Inventory;

namespace Platform.Scheduling.Simulation;

/// <summary>Knobs of the discrete-event simulation; defaults are the ones docs/performance.md used.</summary>
public sealed record SimulationOptions
{
    /// <summary>The simulated pool.</summary>
    public required PoolInventory Pool { get; init; }

    /// <summary>Scheduling, autoscaling and admission run every tick.</summary>
    public double TickSeconds { get; init; } = 5;

    /// <summary>Time from a replica's placement to serving (weights load).</summary>
    public double ReplicaWarmupSeconds { get; init; } = 30;

    /// <summary>
    /// Termination grace period of a preempted replica: it takes no new requests and its in-flight
    /// requests may finish; the rest are re-queued when it ends. 0 stops replicas at once.
    /// </summary>
    public double ReplicaGraceSeconds { get; init; } = 30;

    /// <summary>Extra time a resumed fine-tune needs to reload and restore its checkpoint.</summary>
    public double FineTuneRestartSeconds { get; init; } = 60;

    /// <summary>How long after the last arrival the simulation may run to let queued fine-tunes finish.</summary>
    public double DrainLimitSeconds { get; init; } = 24 * 3600;

    /// <summary>How far ahead demand is forecast: replica warm-up plus a fine-tune checkpoint.</summary>
    public double ForecastHorizonSeconds { get; init; } = 60;

    /// <summary>Share of a replica's KV capacity the autoscaler plans to fill.</summary>
    public double TargetUtilization { get; init; } = 0.7;

    /// <summary>Scale-in stabilisation window.</summary>
    public TimeSpan ScaleInStabilization { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Consumer demand is averaged over this window before the autoscaler's peak hold: the gateway's
    /// admission share and fair queue absorb consumer bursts, so consumer replicas are provisioned for
    /// sustained load. Enterprise demand is not averaged. One tick turns the averaging off.
    /// </summary>
    public double ConsumerDemandSmoothingSeconds { get; init; } = 60;

    /// <summary>Length of the intervals of <see cref="SimulationResult.Timeline"/>; 0 records none.</summary>
    public double TimelineSeconds { get; init; }
}
