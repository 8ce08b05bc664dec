namespace Platform.Portal.Gateway;

// What the portal reads of the Scheduler's GET /api/pool (through the gateway); unknown fields are ignored.

public sealed record PoolView(
    IReadOnlyList<PoolNode> Nodes,
    IReadOnlyList<PoolPlacement> Placements,
    IReadOnlyList<PoolPending> Pending,
    PoolUtilization Utilization,
    PoolShare? AdmissionShare,
    string Backend);

public sealed record PoolNode(string Id, string Source, string State, IReadOnlyList<PoolDevice> Devices);

public sealed record PoolDevice(string Id, string Model, long MemoryBytes, long UsedBytes, string NvLinkGroup, IReadOnlyList<string> Workloads)
{
    public double UsedPercent => MemoryBytes == 0 ? 0 : 100.0 * UsedBytes / MemoryBytes;
}

public sealed record PoolPlacement(string WorkloadId, string TenantId, string Priority, string Kind, IReadOnlyList<string> DeviceIds,
    long BytesPerDevice, bool Borrowing, bool Terminating, DateTimeOffset PlacedAt);

public sealed record PoolPending(string WorkloadId, string TenantId, string Priority, long TotalBytes, DateTimeOffset QueuedAt, string? Reason);

public sealed record PoolUtilization(long CapacityBytes, long UsedBytes, double Fraction);

public sealed record PoolShare(double Fraction, long AdmissibleKvTokens, DateTimeOffset ComputedAt, int ConsumerReplicas, long ReservedForEnterpriseBytes);
