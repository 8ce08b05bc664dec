using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Autoscaling;

/// <summary>One priority class on one inference replica, as its metrics report it.</summary>
/// <param name="Priority">The class the Inference engine tagged the sequences with.</param>
/// <param name="Queued">Sequences waiting for KV blocks or a batch slot.</param>
/// <param name="Running">Sequences holding KV blocks.</param>
/// <param name="TtftP95Seconds">p95 time to first token over the last interval; null when no request finished its prefill in it.</param>
public sealed record ClassLoad(PriorityClass Priority, int Queued, int Running, double? TtftP95Seconds);

/// <summary>What one inference replica reports.</summary>
/// <param name="ReplicaId">Its endpoint or workload id.</param>
/// <param name="KvTokenCapacity">KV-cache tokens it can hold (used + free blocks × block size); 0 when unknown.</param>
/// <param name="Classes">Load per priority class.</param>
public sealed record ReplicaLoad(string ReplicaId, long KvTokenCapacity, IReadOnlyList<ClassLoad> Classes);

/// <summary>How serving load becomes demand.</summary>
/// <param name="TokensPerSequence">KV tokens one sequence holds on average (prompt + generated).</param>
/// <param name="TtftSloSeconds">The time-to-first-token objective that p95 is compared with.</param>
/// <param name="ReplicaBytes">Memory of one inference replica.</param>
/// <param name="FallbackTokensPerReplica">KV tokens per replica when no replica reports its capacity.</param>
public sealed record ServingSettings(double TokensPerSequence, double TtftSloSeconds, long ReplicaBytes, long FallbackTokensPerReplica);

/// <summary>What the serving metrics ask of the pool.</summary>
/// <param name="CurrentReplicas">Replicas that reported.</param>
/// <param name="RecommendedReplicas">What <see cref="ReplicaAutoscaler"/> recommends (scale out at once, in after its cooldown).</param>
/// <param name="Queued">Sequences waiting, all classes.</param>
/// <param name="Running">Sequences running, all classes.</param>
/// <param name="TtftP95Seconds">The worst p95 time to first token among replicas and classes.</param>
/// <param name="EnterpriseReserveBytes">
/// Memory to hold back from consumer work now for enterprise-class serving load that the running replicas
/// cannot absorb: the share of the extra replicas that enterprise demand accounts for.
/// </param>
/// <param name="ConsumerDemandTokens">KV tokens of consumer-class sequences queued or running.</param>
public sealed record ServingPlan(
    int CurrentReplicas, int RecommendedReplicas, int Queued, int Running, double TtftP95Seconds,
    long EnterpriseReserveBytes, double ConsumerDemandTokens);
