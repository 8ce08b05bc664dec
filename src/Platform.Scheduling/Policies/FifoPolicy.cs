using Platform.Scheduling.Placement;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Policies;

/// <summary>Baseline: one queue in arrival order, strict head-of-line blocking, no classes, quotas or preemption.</summary>
public sealed class FifoPolicy : IPoolPolicy
{
    private readonly DevicePlacer _placer = new(DefaultFilters.All);

    /// <inheritdoc />
    public string Name => "fifo";

    /// <inheritdoc />
    public IEnumerable<PendingWorkload> Order(IEnumerable<PendingWorkload> pending) =>
        pending.OrderBy(p => p.EnqueuedAt).ThenBy(p => p.Request.Id, StringComparer.Ordinal);

    /// <inheritdoc />
    public string? HeadOfLineDomain(WorkloadRequest request) => "pool";

    /// <inheritdoc />
    public SchedulingDecision Decide(PoolState state, WorkloadRequest request, DateTimeOffset now)
    {
        if (Feasibility.WhyNever(state.Inventory, request) is { } never)
        {
            return new SchedulingDecision.Reject(never);
        }
        var (devices, reason) = _placer.TryPlace(request, PlacementContext.Of(state));
        return devices is null ? new SchedulingDecision.Wait(reason) : new SchedulingDecision.Place(devices, Borrowing: false);
    }
}
