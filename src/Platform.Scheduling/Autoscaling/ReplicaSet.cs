using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Autoscaling;

/// <summary>
/// A set of identical inference replicas that the pool scales: one model, owned by one tenant, of one priority class.
/// Its replicas are ordinary workloads (<see cref="WorkloadKind.InferenceReplica"/>), placed by the policy like any other,
/// with ids <c>{<see cref="IdPrefix"/>}{n}</c>.
/// </summary>
/// <param name="Name">The set's name, e.g. the model; ids are <c>serving/{Name}/{n}</c>.</param>
/// <param name="TenantId">Tenant the replicas are charged to (quotas, borrowing).</param>
/// <param name="Priority">Their priority class: what they may preempt, and what may preempt them.</param>
/// <param name="ReplicaBytes">Memory of one replica (weights + KV budget + runtime; see <see cref="MemoryEstimator"/>).</param>
/// <param name="MinReplicas">Never fewer (counting replicas run outside the set, such as a service started by hand).</param>
/// <param name="MaxReplicas">Never more.</param>
/// <param name="ScaleInCooldown">How long the desired count must stay below the actual count before a running replica is stopped.</param>
/// <param name="WarmupSeconds">Load time of a replica: the work a preemption wastes.</param>
public sealed record ReplicaSetSpec(
    string Name, string TenantId, PriorityClass Priority, long ReplicaBytes, int MinReplicas, int MaxReplicas, TimeSpan ScaleInCooldown,
    double WarmupSeconds = 30)
{
    /// <summary>Prefix of every replica id of this set.</summary>
    public string IdPrefix => $"serving/{Name}/";

    /// <summary>True when <paramref name="workloadId"/> is a replica of this set.</summary>
    public bool Owns(string workloadId) =>
        workloadId.StartsWith(IdPrefix, StringComparison.Ordinal) && int.TryParse(workloadId.AsSpan(IdPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>The request of replica number <paramref name="ordinal"/>.</summary>
    public WorkloadRequest Request(int ordinal) =>
        new($"{IdPrefix}{ordinal}", TenantId, Priority, WorkloadKind.InferenceReplica, ReplicaBytes) { RestartSeconds = WarmupSeconds };
}

/// <summary>Where one replica of a set stands.</summary>
public enum ReplicaPhase
{
    /// <summary>Asked for, not placed yet (waiting for memory, or for its victims to stop).</summary>
    Pending,

    /// <summary>Placed; its process or Pod is not answering its readiness check yet.</summary>
    Starting,

    /// <summary>Placed and serving.</summary>
    Ready,

    /// <summary>Being stopped (scaled in, or preempted).</summary>
    Terminating,
}

/// <summary>One replica of a set.</summary>
/// <param name="WorkloadId">Its workload id.</param>
/// <param name="Phase">Where it stands.</param>
/// <param name="Since">When it was asked for (pending) or placed.</param>
public sealed record ReplicaMember(string WorkloadId, ReplicaPhase Phase, DateTimeOffset Since);

/// <summary>What to change in a replica set.</summary>
/// <param name="Desired">Replicas the set should have (not counting outside replicas).</param>
/// <param name="Add">New replica requests to queue for placement.</param>
/// <param name="Remove">Replicas to stop: pending ones are dropped, placed ones stopped gracefully.</param>
/// <param name="Reason">Why, for logs and events.</param>
public sealed record ReplicaSetChange(int Desired, IReadOnlyList<WorkloadRequest> Add, IReadOnlyList<string> Remove, string Reason)
{
    /// <summary>True when nothing changes.</summary>
    public bool IsEmpty => Add.Count == 0 && Remove.Count == 0;
}
