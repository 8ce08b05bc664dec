using Platform.Scheduling.Inventory;
using Platform.Scheduling.Placement;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Policies;

/// <summary>
/// Baseline: every device belongs to one tenant's partition, sized in proportion to guarantees (the
/// whole pool is handed out); each partition is its own FIFO queue; no borrowing, no preemption.
/// Tenants without a guarantee share whatever no tenant owns.
/// </summary>
public sealed class StaticPartitionPolicy : IPoolPolicy
{
    /// <summary>Partition name for tenants without a guarantee.</summary>
    public const string SharedPartition = "(shared)";

    private readonly DevicePlacer _placer;
    private readonly PoolState _empty;

    /// <summary>Partitions <paramref name="inventory"/> by the guarantees in <paramref name="quotas"/>.</summary>
    public StaticPartitionPolicy(PoolInventory inventory, QuotaTable quotas)
    {
        TenantOfDevice = Partition(inventory, quotas);
        _empty = new PoolState(inventory);
        _placer = new DevicePlacer([.. DefaultFilters.All, new PartitionFilter(TenantOfDevice, SharedPartition)]);
    }

    /// <summary>Owner of each device.</summary>
    public IReadOnlyDictionary<string, string> TenantOfDevice { get; }

    /// <inheritdoc />
    public string Name => "static-partition";

    /// <inheritdoc />
    public IEnumerable<PendingWorkload> Order(IEnumerable<PendingWorkload> pending) =>
        pending.OrderBy(p => p.EnqueuedAt).ThenBy(p => p.Request.Id, StringComparer.Ordinal);

    /// <inheritdoc />
    public string? HeadOfLineDomain(WorkloadRequest request) =>
        TenantOfDevice.Values.Contains(request.TenantId) ? request.TenantId : SharedPartition;

    /// <inheritdoc />
    public SchedulingDecision Decide(PoolState state, WorkloadRequest request, DateTimeOffset now)
    {
        if (Feasibility.WhyNever(state.Inventory, request) is { } never)
        {
            return new SchedulingDecision.Reject(never);
        }
        var (devices, reason) = _placer.TryPlace(request, PlacementContext.Of(state));
        if (devices is not null)
        {
            return new SchedulingDecision.Place(devices, Borrowing: false);
        }
        // A workload that would not fit even in its empty partition (a gang wider than the partition's
        // share of any NVLink group) is refused rather than left to block the partition's queue forever.
        return _placer.TryPlace(request, PlacementContext.Of(_empty)).Devices is null
            ? new SchedulingDecision.Reject($"larger than the partition of tenant '{request.TenantId}': {reason}")
            : new SchedulingDecision.Wait($"partition full: {reason}");
    }

    /// <summary>
    /// Hands devices out in inventory order, largest guarantee first, so big partitions get whole
    /// NVLink groups; each tenant gets devices until its share of the pool (by guarantee) is covered
    /// to the nearest device, and the last tenant gets the remainder.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Partition(PoolInventory inventory, QuotaTable quotas)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var tenants = quotas.All.Where(q => q.GuaranteedBytes > 0)
            .OrderByDescending(q => q.GuaranteedBytes).ThenBy(q => q.TenantId, StringComparer.Ordinal).ToList();
        var total = (double)quotas.GuaranteedTotalBytes;
        var devices = inventory.Devices;
        var next = 0;
        for (var t = 0; t < tenants.Count; t++)
        {
            var target = inventory.CapacityBytes * (tenants[t].GuaranteedBytes / total);
            var assigned = 0L;
            while (next < devices.Count && (t == tenants.Count - 1 || assigned + devices[next].MemoryBytes / 2.0 <= target))
            {
                assigned += devices[next].MemoryBytes;
                owners[devices[next++].Id] = tenants[t].TenantId;
            }
        }
        return owners;
    }
}
