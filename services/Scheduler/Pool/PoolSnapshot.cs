using Platform.Scheduling.Inventory;
using Platform.Scheduling.Policies;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;
using Platform.Services.Scheduler.Backends;
using Platform.Services.Scheduler.Serving;

namespace Platform.Services.Scheduler.Pool;

/// <summary>
/// GET /api/pool: nodes, devices, placements (with how each runs on the backend), pending work, utilisation, the current
/// admission share, the backend in use, and what the Inference endpoints reported with the autoscaling plan made of it.
/// </summary>
public sealed record PoolSnapshot(
    IReadOnlyList<NodeView> Nodes,
    IReadOnlyList<PlacementView> Placements,
    IReadOnlyList<PendingView> Pending,
    UtilizationView Utilization,
    PublishedShare? AdmissionShare,
    IReadOnlyList<QuotaView> Quotas,
    string Backend,
    ServingView? Serving)
{
    /// <summary>The inference replicas: scaled by the scheduler, the registered Inference service, and replicas others allocated.</summary>
    public IReadOnlyList<InferenceReplicaView> InferenceReplicas { get; init; } = [];

    /// <summary>True when the guaranteed quotas add up to more than the schedulable pool holds now.</summary>
    public bool QuotaOvercommitted { get; init; }

    /// <summary>The guarantees, the schedulable memory, and by how much the guarantees exceed it (0 when they fit).</summary>
    public QuotaOvercommit QuotaOvercommit { get; init; } = QuotaOvercommit.None;

    internal static PoolSnapshot Of(
        PoolState state, IReadOnlyList<PendingWorkload> pending, IReadOnlyDictionary<string, string> reasons,
        IReadOnlyDictionary<string, bool> borrowing, IReadOnlySet<string> workerNodes, IReadOnlySet<string> configNodes, HeartbeatMonitor heartbeats,
        PublishedShare? share, QuotaTable quotas, string backend, IReadOnlyDictionary<string, ObservedWorkload> observed,
        ServingView? serving, AllocationLeases leases)
    {
        var nodes = state.Inventory.Nodes.Select(n => new NodeView(
            n.Id,
            workerNodes.Contains(n.Id) ? "worker" : configNodes.Contains(n.Id) ? "config" : "local",
            state.CordonedNodes.Contains(n.Id) ? "drained" : workerNodes.Contains(n.Id) && !heartbeats.IsHealthy(n.Id) ? "unhealthy" : "ready",
            n.Devices.Select(d => DeviceView.Of(d, state.UsedBytes(d.Id), state.WorkloadsOn(d.Id))).ToList()))
            .ToList();
        var placements = state.Running.OrderBy(w => w.StartedAt).ThenBy(w => w.Request.Id, StringComparer.Ordinal).Select(w => new PlacementView(
            w.Request.Id, w.Request.TenantId, w.Request.Priority.ToName(), WorkloadKinds.ToName(w.Request.Kind), w.DeviceIds,
            w.ChargedBytesPerDevice, borrowing.GetValueOrDefault(w.Request.Id), w.Terminating, w.StartedAt, observed.GetValueOrDefault(w.Request.Id),
            leases.ExpiresAt(w.Request.Id))).ToList();
        var waiting = pending.Select(p => new PendingView(p.Request.Id, p.Request.TenantId, p.Request.Priority.ToName(),
            p.Request.TotalBytes, p.EnqueuedAt, reasons.GetValueOrDefault(p.Request.Id))).ToList();
        var capacity = state.Inventory.CapacityBytes;
        var used = state.UsedBytesTotal;
        return new PoolSnapshot(nodes, placements, waiting,
            new UtilizationView(capacity, used, capacity == 0 ? 0 : Math.Round(used / (double)capacity, 4)),
            share,
            quotas.All.Select(q => new QuotaView(q.TenantId, q.GuaranteedBytes, q.BorrowingLimitBytes, state.TenantUsageBytes(q.TenantId))).ToList(),
            backend,
            serving);
    }
}

/// <summary>A node.</summary>
public sealed record NodeView(string Id, string Source, string State, IReadOnlyList<DeviceView> Devices);

/// <summary>A device and what runs on it; <paramref name="MigSliceBytes"/> and <paramref name="MpsShares"/> as configured (empty and 0 without MIG or MPS).</summary>
public sealed record DeviceView(string Id, string Model, long MemoryBytes, long UsedBytes, string NvLinkGroup, IReadOnlyList<string> Workloads,
    IReadOnlyList<long> MigSliceBytes, int MpsShares)
{
    internal static DeviceView Of(GpuDevice d, long used, IReadOnlyList<string> workloads) =>
        new(d.Id, d.Model, d.MemoryBytes, used, d.NvLinkGroup, workloads, d.MigSliceBytes, d.MpsShares);
}

/// <summary>Guaranteed quotas against the memory of the nodes that take work now; <paramref name="Bytes"/> is the shortfall.</summary>
public sealed record QuotaOvercommit(long GuaranteedBytes, long SchedulableBytes, long Bytes)
{
    /// <summary>Nothing configured, nothing overcommitted.</summary>
    public static QuotaOvercommit None { get; } = new(0, 0, 0);
}

/// <summary>
/// A bound workload; <paramref name="Runtime"/> is how it runs on the backend (null under the none backend or before the first pass);
/// <paramref name="LeaseExpiresAt"/> is when it is released unless renewed (null: no lease).
/// </summary>
public sealed record PlacementView(string WorkloadId, string TenantId, string Priority, string Kind, IReadOnlyList<string> DeviceIds,
    long BytesPerDevice, bool Borrowing, bool Terminating, DateTimeOffset PlacedAt, ObservedWorkload? Runtime, DateTimeOffset? LeaseExpiresAt);

/// <summary>A queued workload and why it waits.</summary>
public sealed record PendingView(string WorkloadId, string TenantId, string Priority, long TotalBytes, DateTimeOffset QueuedAt, string? Reason);

/// <summary>Memory allocated over capacity.</summary>
public sealed record UtilizationView(long CapacityBytes, long UsedBytes, double Fraction);

/// <summary>A tenant's quota and usage.</summary>
public sealed record QuotaView(string TenantId, long GuaranteedBytes, long? BorrowingLimitBytes, long UsedBytes);
