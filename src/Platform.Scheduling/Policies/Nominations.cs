using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Policies;

/// <summary>
/// Devices promised to workloads that preempted others to make room (Kubernetes' nominated node).
/// Until the nominee is placed or leaves the queue, the memory it freed is held for it, so a
/// workload considered earlier in the next cycle cannot move in and provoke another preemption.
/// </summary>
public sealed class Nominations
{
    private readonly Dictionary<string, Nomination> _byWorkload = new(StringComparer.Ordinal);

    /// <summary>Workloads with a nomination.</summary>
    public int Count => _byWorkload.Count;

    /// <summary>Records that <paramref name="request"/> preempted to get <paramref name="deviceIds"/>.</summary>
    public void Nominate(WorkloadRequest request, IReadOnlyList<string> deviceIds) =>
        _byWorkload[request.Id] = new Nomination(request, deviceIds);

    /// <summary>Drops nominations of workloads that are running now or no longer pending.</summary>
    public void Prune(PoolState state, IReadOnlyCollection<PendingWorkload> pending)
    {
        var waiting = pending.Select(p => p.Request.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in _byWorkload.Keys.Where(id => !waiting.Contains(id) || state.Find(id) is not null).ToList())
        {
            _byWorkload.Remove(id);
        }
    }

    /// <summary>
    /// Memory per device held against <paramref name="request"/>: every other nominee's, except that
    /// a request of a strictly higher class inside its guarantee may take it (it could preempt the
    /// nominee's claim anyway).
    /// </summary>
    public IReadOnlyDictionary<string, long>? HeldAgainst(WorkloadRequest request, bool withinGuarantee)
    {
        Dictionary<string, long>? held = null;
        foreach (var (id, n) in _byWorkload)
        {
            if (id == request.Id || (withinGuarantee && request.Priority > n.Request.Priority))
            {
                continue;
            }
            held ??= new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var device in n.DeviceIds)
            {
                held[device] = held.GetValueOrDefault(device) + n.Request.MemoryPerDeviceBytes;
            }
        }
        return held;
    }

    private sealed record Nomination(WorkloadRequest Request, IReadOnlyList<string> DeviceIds);
}
