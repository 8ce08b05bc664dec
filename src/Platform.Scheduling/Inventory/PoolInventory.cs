namespace Platform.Scheduling.Inventory;

/// <summary>Immutable set of nodes and devices the pool schedules onto. Validated on construction.</summary>
public sealed class PoolInventory
{
    private readonly Dictionary<string, GpuDevice> _byId;

    /// <summary>Builds and validates an inventory; throws <see cref="SchedulingInputException"/> on duplicates or non-positive memory.</summary>
    public PoolInventory(IEnumerable<GpuNode> nodes)
    {
        Nodes = nodes.ToList();
        var nodeIds = new HashSet<string>(StringComparer.Ordinal);
        _byId = new Dictionary<string, GpuDevice>(StringComparer.Ordinal);
        foreach (var node in Nodes)
        {
            if (!nodeIds.Add(node.Id))
            {
                throw new SchedulingInputException($"node '{node.Id}' is listed twice");
            }
            foreach (var device in node.Devices)
            {
                if (device.NodeId != node.Id)
                {
                    throw new SchedulingInputException($"device '{device.Id}' says node '{device.NodeId}' but is listed under '{node.Id}'");
                }
                if (device.MemoryBytes <= 0)
                {
                    throw new SchedulingInputException($"device '{device.Id}' has non-positive memory {device.MemoryBytes}");
                }
                if (!_byId.TryAdd(device.Id, device))
                {
                    throw new SchedulingInputException($"device '{device.Id}' is listed twice");
                }
            }
        }
        Devices = Nodes.SelectMany(n => n.Devices).ToList();
        Groups = Devices.GroupBy(d => d.NvLinkGroup, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<GpuDevice>)g.ToList(), StringComparer.Ordinal);
        CapacityBytes = Devices.Sum(d => d.MemoryBytes);
    }

    /// <summary>An empty pool.</summary>
    public static PoolInventory Empty { get; } = new([]);

    /// <summary>Nodes in configuration order.</summary>
    public IReadOnlyList<GpuNode> Nodes { get; }

    /// <summary>All devices in node order.</summary>
    public IReadOnlyList<GpuDevice> Devices { get; }

    /// <summary>NVLink groups by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<GpuDevice>> Groups { get; }

    /// <summary>Total device memory.</summary>
    public long CapacityBytes { get; }

    /// <summary>Looks a device up by id.</summary>
    public GpuDevice Device(string id) =>
        _byId.TryGetValue(id, out var d) ? d : throw new KeyNotFoundException($"no device '{id}'");

    /// <summary>True when the device exists.</summary>
    public bool Contains(string deviceId) => _byId.ContainsKey(deviceId);

    /// <summary>A new inventory with <paramref name="node"/> added or replaced (worker registration).</summary>
    public PoolInventory WithNode(GpuNode node) =>
        new(Nodes.Where(n => n.Id != node.Id).Append(node));

    /// <summary>A new inventory without the node.</summary>
    public PoolInventory WithoutNode(string nodeId) => new(Nodes.Where(n => n.Id != nodeId));

    /// <summary>
    /// This machine's CPU as one device, so the platform runs end to end without a GPU.
    /// </summary>
    public static GpuNode LocalCpuNode(string nodeId, long memoryBytes) =>
        new(nodeId, [new GpuDevice($"{nodeId}/cpu", nodeId, "cpu", memoryBytes, $"{nodeId}/cpu")]);
}
