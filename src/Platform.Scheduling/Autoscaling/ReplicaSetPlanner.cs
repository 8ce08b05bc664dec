namespace Platform.Scheduling.Autoscaling;

/// <summary>
/// Turns a replica recommendation (<see cref="ServingPressure"/>) into changes of a <see cref="ReplicaSetSpec"/>:
/// the replica workloads to add, which the policy then places like any workload (and which never evict work of a
/// higher class, because the policy never does), and the ones to stop. Scale-out is immediate. Replicas that are
/// only pending are dropped as soon as they are not wanted, since they serve nothing; a placed replica is stopped
/// only after the desired count has stayed below the actual one for <see cref="ReplicaSetSpec.ScaleInCooldown"/>,
/// and never below <see cref="ReplicaSetSpec.MinReplicas"/>. It stops the replicas that waste least first: those
/// still starting, then the most recently placed. Pure: time and state come from the caller.
/// </summary>
public sealed class ReplicaSetPlanner(ReplicaSetSpec spec)
{
    private DateTimeOffset? _belowSince;

    /// <summary>The set planned for.</summary>
    public ReplicaSetSpec Spec { get; } = spec;

    /// <summary>
    /// Plans one step. <paramref name="recommended"/>: the autoscaler's replica count for the whole service (null when no
    /// replica reported metrics: the set keeps its minimum). <paramref name="outsideReplicas"/>: replicas that serve
    /// the same traffic but are not the set's (a service started by the launcher), which count towards the recommendation.
    /// </summary>
    public ReplicaSetChange Plan(int? recommended, IReadOnlyList<ReplicaMember> members, int outsideReplicas, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentOutOfRangeException.ThrowIfNegative(outsideReplicas);
        var total = Math.Clamp(recommended ?? Spec.MinReplicas, Spec.MinReplicas, Math.Max(Spec.MinReplicas, Spec.MaxReplicas));
        var desired = Math.Max(0, total - outsideReplicas);
        var active = members.Where(m => m.Phase != ReplicaPhase.Terminating).ToList();
        if (desired > active.Count)
        {
            _belowSince = null;
            var used = members.Select(m => Ordinal(m.WorkloadId)).ToHashSet();
            var add = new List<Workloads.WorkloadRequest>();
            for (var n = 1; add.Count < desired - active.Count; n++)
            {
                if (!used.Contains(n))
                {
                    add.Add(Spec.Request(n));
                }
            }
            return new ReplicaSetChange(desired, add, [], $"scale out to {desired} (recommended {total}, {outsideReplicas} outside)");
        }
        if (desired == active.Count)
        {
            _belowSince = null;
            return new ReplicaSetChange(desired, [], [], "at the desired count");
        }
        var excess = active.Count - desired;
        // Pending replicas serve nothing: drop them at once, newest first.
        var remove = active.Where(m => m.Phase == ReplicaPhase.Pending).OrderByDescending(m => m.Since).ThenByDescending(m => Ordinal(m.WorkloadId))
            .Take(excess).Select(m => m.WorkloadId).ToList();
        var placedExcess = excess - remove.Count;
        if (placedExcess == 0)
        {
            return new ReplicaSetChange(desired, [], remove, $"drop {remove.Count} pending replica(s) no longer wanted");
        }
        _belowSince ??= now;
        if (now - _belowSince.Value < Spec.ScaleInCooldown)
        {
            return new ReplicaSetChange(desired, [], remove,
                $"{placedExcess} replica(s) above the desired {desired}; scale-in after the cooldown ({(Spec.ScaleInCooldown - (now - _belowSince.Value)).TotalSeconds:0} s left)");
        }
        _belowSince = null;
        remove.AddRange(active.Where(m => m.Phase != ReplicaPhase.Pending)
            .OrderBy(m => m.Phase == ReplicaPhase.Starting ? 0 : 1)
            .ThenByDescending(m => m.Since)
            .ThenByDescending(m => Ordinal(m.WorkloadId))
            .Take(placedExcess)
            .Select(m => m.WorkloadId));
        return new ReplicaSetChange(desired, [], remove, $"scale in to {desired} after the cooldown");
    }

    private int Ordinal(string workloadId) =>
        Spec.Owns(workloadId) ? int.Parse(workloadId.AsSpan(Spec.IdPrefix.Length), System.Globalization.CultureInfo.InvariantCulture) : 0;
}
