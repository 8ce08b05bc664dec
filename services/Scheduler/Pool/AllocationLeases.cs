namespace Platform.Services.Scheduler.Pool;

/// <summary>
/// Optional leases on allocations: a holder that asked for one must renew it (any GET of the allocation does)
/// within its length, or the scheduling cycle releases the allocation. An allocation without a lease is held
/// until it is released, as before leases existed. Not thread-safe: <see cref="PoolRuntime"/> holds its lock.
/// </summary>
public sealed class AllocationLeases(TimeProvider time)
{
    private readonly Dictionary<string, (TimeSpan Length, DateTimeOffset Expires)> _leases = new(StringComparer.Ordinal);

    /// <summary>Starts or restarts <paramref name="workloadId"/>'s lease of <paramref name="length"/> from now.</summary>
    public void Grant(string workloadId, TimeSpan length) => _leases[workloadId] = (length, time.GetUtcNow() + length);

    /// <summary>Extends a leased allocation by its length from now; nothing for one without a lease.</summary>
    public void Renew(string workloadId)
    {
        if (_leases.TryGetValue(workloadId, out var lease))
        {
            _leases[workloadId] = (lease.Length, time.GetUtcNow() + lease.Length);
        }
    }

    /// <summary>Forgets the lease (the allocation was released).</summary>
    public void Remove(string workloadId) => _leases.Remove(workloadId);

    /// <summary>The lease length, or null when the allocation has none.</summary>
    public TimeSpan? LengthOf(string workloadId) => _leases.TryGetValue(workloadId, out var lease) ? lease.Length : null;

    /// <summary>When the lease runs out, or null.</summary>
    public DateTimeOffset? ExpiresAt(string workloadId) => _leases.TryGetValue(workloadId, out var lease) ? lease.Expires : null;

    /// <summary>The allocations whose lease has run out, with its length; they are forgotten here.</summary>
    public IReadOnlyList<(string WorkloadId, TimeSpan Length)> TakeExpired()
    {
        var now = time.GetUtcNow();
        var expired = _leases.Where(l => l.Value.Expires <= now).Select(l => (l.Key, l.Value.Length)).ToList();
        foreach (var (id, _) in expired)
        {
            _leases.Remove(id);
        }
        return expired;
    }
}
