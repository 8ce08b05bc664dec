using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Policies;

/// <summary>
/// A scheduling policy. The Scheduler service and the simulator both drive policies through
/// <see cref="SchedulingCycle.Run"/>, so the simulated policy is the deployed one.
/// </summary>
public interface IPoolPolicy
{
    /// <summary>Name used on the command line: fifo, static-partition, platform.</summary>
    string Name { get; }

    /// <summary>Order in which pending workloads are considered.</summary>
    IEnumerable<PendingWorkload> Order(IEnumerable<PendingWorkload> pending);

    /// <summary>
    /// Head-of-line domain: once a workload in a domain has to wait, later ones in the same domain
    /// wait too (strict FIFO). Null lets the workload be backfilled past waiting ones.
    /// </summary>
    string? HeadOfLineDomain(WorkloadRequest request);

    /// <summary>
    /// Called once at the start of each <see cref="SchedulingCycle.Run"/> with everything pending,
    /// before any <see cref="Decide"/>; policies that look at the whole queue (borrowing hysteresis)
    /// take their snapshot here.
    /// </summary>
    void BeginCycle(PoolState state, IReadOnlyCollection<PendingWorkload> pending)
    {
    }

    /// <summary>Decides for one workload against the current state. Must not mutate <paramref name="state"/>.</summary>
    SchedulingDecision Decide(PoolState state, WorkloadRequest request, DateTimeOffset now);
}
