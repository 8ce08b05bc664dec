using Platform.Scheduling.Placement;
using Platform.Scheduling.Preemption;
using Platform.Scheduling.Quotas;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Policies;

/// <summary>
/// The platform policy: priority classes, Kueue-style guaranteed quotas with borrowing and reclaim,
/// best-fit topology-aware placement, all-or-nothing gangs, and least-waste preemption.
/// <list type="bullet">
/// <item>Order: class (enterprise-guaranteed first), then arrival; no head-of-line blocking, so small work backfills.</item>
/// <item>A tenant may hold up to guarantee + borrowing limit.</item>
/// <item>Within its guarantee a request may evict any other tenant's <em>borrowed</em> work (reclaim), lowest class first.</item>
/// <item>Beyond its guarantee it may only evict borrowed work of a strictly lower class.</item>
/// <item>Work inside its tenant's guarantee is never evicted by another tenant.</item>
/// <item>Borrowing hysteresis: memory freed by a preemption is held for the preemptor until it is placed
/// (<see cref="Policies.Nominations"/>), so a borrower cannot move into capacity being reclaimed.</item>
/// </list>
/// </summary>
public sealed class PlatformPolicy(QuotaTable quotas) : IPoolPolicy
{
    private readonly DevicePlacer _placer = new(DefaultFilters.All);
    private readonly PreemptionPlanner _planner = new(new DevicePlacer(DefaultFilters.All));

    /// <summary>Memory promised to workloads that preempted to make room; see <see cref="Policies.Nominations"/>.</summary>
    public Nominations Nominations { get; } = new();

    /// <summary>Quotas in force.</summary>
    public QuotaTable Quotas { get; } = quotas;

    /// <inheritdoc />
    public string Name => "platform";

    /// <inheritdoc />
    public IEnumerable<PendingWorkload> Order(IEnumerable<PendingWorkload> pending) =>
        pending.OrderByDescending(p => p.Request.Priority)
            .ThenBy(p => p.EnqueuedAt)
            .ThenBy(p => p.Request.Id, StringComparer.Ordinal);

    /// <inheritdoc />
    public string? HeadOfLineDomain(WorkloadRequest request) => null;

    /// <inheritdoc />
    public void BeginCycle(PoolState state, IReadOnlyCollection<PendingWorkload> pending) =>
        Nominations.Prune(state, pending);

    /// <inheritdoc />
    public SchedulingDecision Decide(PoolState state, WorkloadRequest request, DateTimeOffset now)
    {
        if (Feasibility.WhyNever(state.Inventory, request) is { } never)
        {
            return new SchedulingDecision.Reject(never);
        }
        var quota = Quotas.For(request.TenantId);
        var usage = state.TenantUsageBytes(request.TenantId);
        if (usage + request.TotalBytes > quota.CeilingBytes)
        {
            return new SchedulingDecision.Wait($"tenant '{request.TenantId}' would exceed its guarantee plus borrowing limit");
        }
        var withinGuarantee = usage + request.TotalBytes <= quota.GuaranteedBytes;
        var held = Nominations.HeldAgainst(request, withinGuarantee);
        var (devices, reason) = _placer.TryPlace(request, PlacementContext.Of(state) with { Held = held });
        if (devices is not null)
        {
            return new SchedulingDecision.Place(devices, Borrowing: !withinGuarantee);
        }

        var terminating = state.Running.Where(w => w.Terminating).Select(w => w.Request.Id).ToHashSet(StringComparer.Ordinal);
        if (terminating.Count > 0 && _placer.TryPlace(request, new PlacementContext(state, terminating) { Held = held }).Devices is not null)
        {
            return new SchedulingDecision.Wait("waiting for preempted workloads to stop");
        }

        var borrowing = Quotas.BorrowingWorkloads(state);
        bool Eligible(RunningWorkload w) =>
            w.Request.TenantId != request.TenantId
            && borrowing.Contains(w.Request.Id)
            && (withinGuarantee || w.Request.Priority < request.Priority);
        var plan = _planner.Plan(state, request, Eligible, now);
        if (plan is null)
        {
            return new SchedulingDecision.Wait(reason);
        }
        Nominations.Nominate(request, plan.TargetDevices);
        return new SchedulingDecision.Preempt(plan.VictimIds,
                withinGuarantee ? "reclaiming guaranteed share from borrowers" : "preempting lower-class borrowed work");
    }
}
