using Platform.Scheduling.Inventory;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.State;

/// <summary>
/// The scheduler's view of the pool: inventory, bound workloads and per-device usage. Policies read
/// it; <see cref="Bind"/> is the only way in and refuses anything that would exceed a device's memory.
/// </summary>
public sealed class PoolState
{
    private readonly Dictionary<string, RunningWorkload> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _onDevice = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _used = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cordoned = new(StringComparer.Ordinal);

    /// <summary>An empty state over <paramref name="inventory"/>.</summary>
    public PoolState(PoolInventory inventory) => Inventory = inventory;

    /// <summary>Current inventory.</summary>
    public PoolInventory Inventory { get; private set; }

    /// <summary>Bound workloads, including terminating ones.</summary>
    public IReadOnlyCollection<RunningWorkload> Running => _running.Values;

    /// <summary>Nodes that accept no new work.</summary>
    public IReadOnlySet<string> CordonedNodes => _cordoned;

    /// <summary>Looks a running workload up.</summary>
    public RunningWorkload? Find(string workloadId) => _running.GetValueOrDefault(workloadId);

    /// <summary>Memory charged on the device.</summary>
    public long UsedBytes(string deviceId) => _used.GetValueOrDefault(deviceId);

    /// <summary>Free memory on the device.</summary>
    public long FreeBytes(string deviceId) => Inventory.Device(deviceId).MemoryBytes - UsedBytes(deviceId);

    /// <summary>Free memory if the <paramref name="excluded"/> workloads were gone (what-if for preemption).</summary>
    public long FreeBytesExcluding(string deviceId, IReadOnlySet<string> excluded)
    {
        var free = FreeBytes(deviceId);
        foreach (var id in WorkloadsOn(deviceId))
        {
            if (excluded.Contains(id))
            {
                free += _running[id].ChargedBytesPerDevice;
            }
        }
        return free;
    }

    /// <summary>Ids of the workloads on the device.</summary>
    public IReadOnlyList<string> WorkloadsOn(string deviceId) =>
        _onDevice.TryGetValue(deviceId, out var list) ? list : [];

    /// <summary>True when new work may go to the device's node.</summary>
    public bool IsSchedulable(GpuDevice device) => !_cordoned.Contains(device.NodeId);

    /// <summary>Memory of the devices on nodes that take new work (drained nodes excluded).</summary>
    public long SchedulableCapacityBytes => Inventory.Devices.Where(IsSchedulable).Sum(d => d.MemoryBytes);

    /// <summary>Memory the tenant holds; terminating workloads are excluded unless asked for.</summary>
    public long TenantUsageBytes(string tenantId, bool includeTerminating = false) =>
        _running.Values.Where(w => w.Request.TenantId == tenantId && (includeTerminating || !w.Terminating)).Sum(w => w.ChargedBytes);

    /// <summary>Sum of charged memory over all devices.</summary>
    public long UsedBytesTotal => _used.Values.Sum();

    /// <summary>
    /// Binds the workload. Throws <see cref="InvalidOperationException"/> if it would exceed a device's
    /// memory or MPS limit, split a gang across NVLink groups, or reuse an id — the invariant every
    /// policy relies on.
    /// </summary>
    public RunningWorkload Bind(WorkloadRequest request, IReadOnlyList<string> deviceIds, DateTimeOffset now)
    {
        if (_running.ContainsKey(request.Id))
        {
            throw new InvalidOperationException($"workload '{request.Id}' is already bound");
        }
        if (deviceIds.Count != request.DeviceCount || deviceIds.Distinct(StringComparer.Ordinal).Count() != deviceIds.Count)
        {
            throw new InvalidOperationException($"workload '{request.Id}' needs {request.DeviceCount} distinct devices");
        }
        var devices = deviceIds.Select(Inventory.Device).ToList();
        if (devices.Select(d => d.NvLinkGroup).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            throw new InvalidOperationException($"gang '{request.Id}' would span NVLink groups");
        }
        var charged = 0L;
        foreach (var device in devices)
        {
            var bytes = DeviceFit.ChargedBytes(device, request.MemoryPerDeviceBytes)
                ?? throw new InvalidOperationException($"workload '{request.Id}' does not fit device '{device.Id}'");
            if (bytes > FreeBytes(device.Id))
            {
                throw new InvalidOperationException($"workload '{request.Id}' would exceed the memory of '{device.Id}'");
            }
            if (device.MpsShares > 0 && WorkloadsOn(device.Id).Count >= device.MpsShares)
            {
                throw new InvalidOperationException($"device '{device.Id}' has no MPS share left");
            }
            charged = Math.Max(charged, bytes);
        }
        var running = new RunningWorkload(request, deviceIds.ToList(), charged, now);
        _running.Add(request.Id, running);
        foreach (var id in deviceIds)
        {
            _used[id] = UsedBytes(id) + charged;
            if (!_onDevice.TryGetValue(id, out var list))
            {
                _onDevice[id] = list = [];
            }
            list.Add(request.Id);
        }
        return running;
    }

    /// <summary>Marks a workload as told to stop; it keeps its memory until <see cref="Release"/>.</summary>
    public void MarkTerminating(string workloadId) =>
        _running[workloadId] = _running[workloadId] with { Terminating = true };

    /// <summary>Removes a workload and frees its memory.</summary>
    public RunningWorkload Release(string workloadId)
    {
        if (!_running.Remove(workloadId, out var running))
        {
            throw new InvalidOperationException($"workload '{workloadId}' is not bound");
        }
        foreach (var id in running.DeviceIds)
        {
            _used[id] -= running.ChargedBytesPerDevice;
            _onDevice[id].Remove(workloadId);
        }
        return running;
    }

    /// <summary>
    /// Drains a node (missed heartbeats or maintenance): it takes no new work, and every workload
    /// touching it is released and returned so the caller can requeue it.
    /// </summary>
    public IReadOnlyList<RunningWorkload> Drain(string nodeId)
    {
        _cordoned.Add(nodeId);
        var evicted = _running.Values.Where(w => w.DeviceIds.Any(d => Inventory.Device(d).NodeId == nodeId)).ToList();
        foreach (var w in evicted)
        {
            Release(w.Request.Id);
        }
        return evicted;
    }

    /// <summary>Lets a drained node take work again (it re-registered).</summary>
    public void Uncordon(string nodeId) => _cordoned.Remove(nodeId);

    /// <summary>Adds or replaces a node (worker registration). Replacing a node that still runs work is refused.</summary>
    public void Register(GpuNode node)
    {
        if (Inventory.Nodes.Any(n => n.Id == node.Id) && _running.Values.Any(w => w.DeviceIds.Any(d => Inventory.Device(d).NodeId == node.Id)))
        {
            throw new InvalidOperationException($"node '{node.Id}' still runs work; drain it before it re-registers");
        }
        Inventory = Inventory.WithNode(node);
        _cordoned.Remove(node.Id);
    }
}
