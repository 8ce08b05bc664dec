using Platform.Scheduling.State;

namespace Platform.Scheduling.Policies;

/// <summary>One pass over the pending queue.</summary>
public static class SchedulingCycle
{
    /// <summary>
    /// Considers every pending workload in policy order and assumes each decision into
    /// <paramref name="state"/>: placements are bound and preemption victims marked terminating.
    /// The caller then acts on the returned decisions (start pods, signal checkpoints, drop rejects)
    /// and calls <see cref="PoolState.Release"/> when work stops.
    /// </summary>
    public static IReadOnlyList<(PendingWorkload Pending, SchedulingDecision Decision)> Run(
        IPoolPolicy policy, PoolState state, IEnumerable<PendingWorkload> pending, DateTimeOffset now)
    {
        var queue = pending as IReadOnlyCollection<PendingWorkload> ?? pending.ToList();
        policy.BeginCycle(state, queue);
        var decisions = new List<(PendingWorkload, SchedulingDecision)>();
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in policy.Order(queue))
        {
            var domain = policy.HeadOfLineDomain(item.Request);
            if (domain is not null && blocked.Contains(domain))
            {
                decisions.Add((item, new SchedulingDecision.Wait("queued behind an earlier workload")));
                continue;
            }
            var decision = policy.Decide(state, item.Request, now);
            switch (decision)
            {
                case SchedulingDecision.Place place:
                    state.Bind(item.Request, place.DeviceIds, now);
                    break;
                case SchedulingDecision.Preempt preempt:
                    foreach (var victim in preempt.VictimIds)
                    {
                        state.MarkTerminating(victim);
                    }
                    break;
            }
            if (decision is SchedulingDecision.Wait or SchedulingDecision.Preempt && domain is not null)
            {
                blocked.Add(domain);
            }
            decisions.Add((item, decision));
        }
        return decisions;
    }
}
