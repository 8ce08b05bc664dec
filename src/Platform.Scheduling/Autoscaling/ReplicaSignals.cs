namespace Platform.Scheduling.Autoscaling;

/// <summary>What an Inference service reports for autoscaling, plus the scheduler's forecast.</summary>
/// <param name="CurrentReplicas">Replicas running or starting.</param>
/// <param name="ForecastTokenDemand">Forecast KV tokens in flight (offered load, Little's law).</param>
/// <param name="TokensPerReplica">KV-cache tokens one replica holds.</param>
/// <param name="QueuedRequests">Requests waiting for a replica.</param>
/// <param name="LatencyP95Seconds">Recent p95 end-to-end latency.</param>
/// <param name="LatencySloSeconds">The latency objective that p95 is compared with.</param>
/// <param name="NotReadyReplicas">Replicas placed or pending but not serving yet.</param>
public sealed record ReplicaSignals(
    int CurrentReplicas,
    double ForecastTokenDemand,
    long TokensPerReplica,
    int QueuedRequests,
    double LatencyP95Seconds,
    double LatencySloSeconds,
    int NotReadyReplicas = 0);
