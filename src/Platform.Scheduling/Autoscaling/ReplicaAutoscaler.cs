namespace Platform.Scheduling.Autoscaling;

/// <summary>Bounds and damping of <see cref="ReplicaAutoscaler"/>.</summary>
/// <param name="MinReplicas">Floor.</param>
/// <param name="MaxReplicas">Ceiling.</param>
/// <param name="TargetUtilization">Fraction of a replica's KV capacity to plan for (headroom for bursts).</param>
/// <param name="ScaleInStabilization">Scale in only to the highest recommendation in this window (as the Kubernetes HPA does).</param>
public sealed record AutoscalerSettings(int MinReplicas, int MaxReplicas, double TargetUtilization, TimeSpan ScaleInStabilization);

/// <summary>
/// Recommends inference replica counts from queue and latency metrics and forecast demand: scale out
/// at once, scale in only after the stabilisation window.
/// </summary>
public sealed class ReplicaAutoscaler(AutoscalerSettings settings)
{
    private readonly Queue<(DateTimeOffset At, int Replicas)> _history = new();

    /// <summary>Settings in force.</summary>
    public AutoscalerSettings Settings { get; } = settings;

    /// <summary>Desired replica count now.</summary>
    public int Recommend(ReplicaSignals signals, DateTimeOffset now)
    {
        var perReplica = Math.Max(1, signals.TokensPerReplica * Settings.TargetUtilization);
        var raw = (int)Math.Ceiling(signals.ForecastTokenDemand / perReplica);
        // Latency over the SLO with a queue adds a replica, but not while earlier ones are still
        // starting: their capacity is not visible in the metrics yet.
        if (signals.QueuedRequests > 0 && signals.LatencyP95Seconds > signals.LatencySloSeconds && signals.NotReadyReplicas == 0)
        {
            raw = Math.Max(raw, signals.CurrentReplicas + 1);
        }
        raw = Math.Clamp(raw, Settings.MinReplicas, Settings.MaxReplicas);
        _history.Enqueue((now, raw));
        while (_history.Peek().At < now - Settings.ScaleInStabilization)
        {
            _history.Dequeue();
        }
        var stabilized = _history.Max(h => h.Replicas);
        return raw >= signals.CurrentReplicas ? raw : Math.Min(signals.CurrentReplicas, stabilized);
    }
}
