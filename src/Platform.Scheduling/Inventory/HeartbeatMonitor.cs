namespace Platform.Scheduling.Inventory;

/// <summary>
/// Tracks worker heartbeats. A node that misses <see cref="MissesBeforeDrain"/> intervals is reported
/// once by <see cref="Sweep"/> so the caller can drain it (<c>PoolState.Drain</c>) and reschedule its work.
/// </summary>
public sealed class HeartbeatMonitor(TimeProvider time, TimeSpan interval, int missesBeforeDrain = 3)
{
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _drained = new(StringComparer.Ordinal);

    /// <summary>Expected heartbeat interval.</summary>
    public TimeSpan Interval { get; } = interval;

    /// <summary>Consecutive missed intervals after which a node is drained.</summary>
    public int MissesBeforeDrain { get; } = missesBeforeDrain;

    /// <summary>Records a registration or heartbeat; a drained node that beats again becomes healthy.</summary>
    public void Beat(string nodeId)
    {
        _lastSeen[nodeId] = time.GetUtcNow();
        _drained.Remove(nodeId);
    }

    /// <summary>Forgets a node that deregistered cleanly.</summary>
    public void Forget(string nodeId)
    {
        _lastSeen.Remove(nodeId);
        _drained.Remove(nodeId);
    }

    /// <summary>True when the node is known and not drained.</summary>
    public bool IsHealthy(string nodeId) => _lastSeen.ContainsKey(nodeId) && !_drained.Contains(nodeId);

    /// <summary>Nodes that have just crossed the miss threshold, each reported once.</summary>
    public IReadOnlyList<string> Sweep()
    {
        var deadline = time.GetUtcNow() - Interval * MissesBeforeDrain;
        var newlyDrained = _lastSeen.Where(kv => kv.Value < deadline && !_drained.Contains(kv.Key))
            .Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        _drained.UnionWith(newlyDrained);
        return newlyDrained;
    }
}
