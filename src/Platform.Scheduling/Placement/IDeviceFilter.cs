using Platform.Scheduling.Inventory;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Placement;

/// <summary>
/// A Kubernetes-style filter plugin: says why a device cannot take the request, or null when it can.
/// Filters see free memory through <see cref="PlacementContext"/>, so preemption can ask what-if questions.
/// </summary>
public interface IDeviceFilter
{
    /// <summary>Reason the device is unsuitable, or null.</summary>
    string? Reject(GpuDevice device, WorkloadRequest request, PlacementContext context);
}

/// <summary>The state a placement is computed against, with workloads to treat as already gone.</summary>
public sealed record PlacementContext(PoolState State, IReadOnlySet<string> Excluded)
{
    /// <summary>No exclusions.</summary>
    public static PlacementContext Of(PoolState state) => new(state, new HashSet<string>());

    /// <summary>
    /// Memory per device promised to other workloads that preempted to make room for themselves
    /// (Kubernetes' nominated node); it counts as taken.
    /// </summary>
    public IReadOnlyDictionary<string, long>? Held { get; init; }

    /// <summary>Free memory on the device, counting excluded workloads as gone and held memory as taken.</summary>
    public long FreeBytes(string deviceId) =>
        (Excluded.Count == 0 ? State.FreeBytes(deviceId) : State.FreeBytesExcluding(deviceId, Excluded))
        - (Held?.GetValueOrDefault(deviceId) ?? 0);

    /// <summary>Workloads on the device that are not excluded.</summary>
    public int WorkloadCount(string deviceId) => State.WorkloadsOn(deviceId).Count(id => !Excluded.Contains(id));
}
