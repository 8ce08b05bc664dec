using Platform.Scheduling.Inventory;
using Platform.Scheduling.Placement;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Preemption;

/// <summary>
/// Picks victims like kube-scheduler's default preemption: for each candidate domain (a device, or
/// an NVLink group for a gang) evict every eligible workload in a what-if, check the request fits,
/// then reprieve victims one by one (most valuable first) while it still fits. Among domains the
/// plan with the lowest highest-victim class wins, then least wasted work, then fewest victims,
/// then the most recently started victims.
/// </summary>
public sealed class PreemptionPlanner(DevicePlacer placer)
{
    /// <summary>A plan, or null when evicting every eligible workload would still not make room.</summary>
    public PreemptionPlan? Plan(PoolState state, WorkloadRequest request, Func<RunningWorkload, bool> eligible, DateTimeOffset now)
    {
        var domains = request.IsGang
            ? state.Inventory.Groups.Values
            : state.Inventory.Devices.Select(d => (IReadOnlyList<GpuDevice>)[d]);
        PreemptionPlan? best = null;
        (int, double, int, long) bestKey = default;
        foreach (var domain in domains)
        {
            if (domain.Count < request.DeviceCount)
            {
                continue;
            }
            var plan = PlanInDomain(state, request, domain, eligible, now);
            if (plan is null)
            {
                continue;
            }
            var victims = plan.VictimIds.Select(id => state.Find(id)!).ToList();
            var key = (
                victims.Count == 0 ? -1 : victims.Max(v => (int)v.Request.Priority),
                plan.WastedDeviceSeconds,
                victims.Count,
                victims.Count == 0 ? 0 : -victims.Max(v => v.StartedAt.UtcTicks));
            if (best is null || key.CompareTo(bestKey) < 0)
            {
                (best, bestKey) = (plan, key);
            }
        }
        return best;
    }

    private PreemptionPlan? PlanInDomain(PoolState state, WorkloadRequest request, IReadOnlyList<GpuDevice> domain, Func<RunningWorkload, bool> eligible, DateTimeOffset now)
    {
        var terminating = state.Running.Where(w => w.Terminating).Select(w => w.Request.Id);
        var candidates = domain.SelectMany(d => state.WorkloadsOn(d.Id)).Distinct(StringComparer.Ordinal)
            .Select(id => state.Find(id)!)
            .Where(w => !w.Terminating && eligible(w))
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }
        // Terminating workloads will free their memory anyway; count it as gone.
        var excluded = new HashSet<string>(terminating.Concat(candidates.Select(c => c.Request.Id)), StringComparer.Ordinal);
        if (placer.TryPlace(request, new PlacementContext(state, excluded), domain).Devices is null)
        {
            return null;
        }
        // Reprieve the most valuable first: highest class, then most work to lose, then oldest.
        foreach (var keep in candidates.OrderByDescending(c => c.Request.Priority)
                     .ThenByDescending(c => PreemptionCost.WastedDeviceSeconds(c, now))
                     .ThenBy(c => c.StartedAt))
        {
            excluded.Remove(keep.Request.Id);
            if (placer.TryPlace(request, new PlacementContext(state, excluded), domain).Devices is null)
            {
                excluded.Add(keep.Request.Id);
            }
        }
        var victims = candidates.Where(c => excluded.Contains(c.Request.Id)).ToList();
        if (victims.Count == 0)
        {
            return null; // fits without evicting anyone: the caller should wait for terminating work instead
        }
        var target = placer.TryPlace(request, new PlacementContext(state, excluded), domain).Devices!;
        return new PreemptionPlan(
            victims.Select(v => v.Request.Id).ToList(),
            target,
            victims.Sum(v => PreemptionCost.WastedDeviceSeconds(v, now)));
    }
}
