using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Simulation;

/// <summary>A tenant of the simulated pool: its class and quota (GiB; null borrowing limit = unlimited).</summary>
public sealed record TraceTenant(string Id, PriorityClass Priority, double GuaranteedGib, double? BorrowingLimitGib);

/// <summary>
/// An inference service of a tenant: the model its replicas serve, their KV-cache budget, scaling
/// bounds, the latency SLO (TTFT allowance + per-output-token allowance) and the replica speed model.
/// </summary>
public sealed record TraceService(
    string TenantId,
    string Model,
    DType WeightsDtype,
    long KvTokensPerReplica,
    int MinReplicas,
    int MaxReplicas,
    double TtftSloMs,
    double TpotSloMs,
    double PrefillTokensPerSecond,
    double TpotMs);

/// <summary>One inference request (enterprise or consumer, by its tenant's class) at <paramref name="TimeSeconds"/>.</summary>
public sealed record TraceRequest(double TimeSeconds, string TenantId, int ContextTokens, int GeneratedTokens);

/// <summary>A fine-tune job: <paramref name="Gpus"/> devices of <paramref name="GibPerGpu"/> for <paramref name="DurationSeconds"/> of work.</summary>
public sealed record TraceFineTune(
    double TimeSeconds, string TenantId, WorkloadKind Kind, int Gpus, double GibPerGpu, double DurationSeconds, double CheckpointSeconds);

/// <summary>
/// Everything a simulation replays. Requests and fine-tunes are sorted by time. <paramref name="Pool"/>
/// is the pool the scenario was sized for (a <see cref="Inventory.PoolSpec"/> string), or null.
/// </summary>
public sealed record SimulationTrace(
    IReadOnlyList<TraceTenant> Tenants,
    IReadOnlyList<TraceService> Services,
    IReadOnlyList<TraceRequest> Requests,
    IReadOnlyList<TraceFineTune> FineTunes,
    string? Pool = null);
