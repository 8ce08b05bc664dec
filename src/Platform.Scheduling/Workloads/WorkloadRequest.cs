namespace Platform.Scheduling.Workloads;

/// <summary>
/// Something that needs GPU memory: <paramref name="DeviceCount"/> devices with
/// <paramref name="MemoryPerDeviceBytes"/> each. More than one device makes a gang that is placed
/// all-or-nothing on one NVLink group.
/// </summary>
/// <param name="Id">Unique workload id.</param>
/// <param name="TenantId">Owner, for quotas.</param>
/// <param name="Priority">Priority class.</param>
/// <param name="Kind">Inference replica or fine-tune.</param>
/// <param name="MemoryPerDeviceBytes">Memory needed on each device.</param>
/// <param name="DeviceCount">Devices needed (gang size).</param>
public sealed record WorkloadRequest(
    string Id,
    string TenantId,
    PriorityClass Priority,
    WorkloadKind Kind,
    long MemoryPerDeviceBytes,
    int DeviceCount = 1)
{
    /// <summary>GPU models the workload may run on; null or empty means any.</summary>
    public IReadOnlySet<string>? AllowedGpuModels { get; init; }

    /// <summary>Seconds the workload needs to checkpoint before it stops (fine-tunes); 0 when it just stops.</summary>
    public double CheckpointSeconds { get; init; }

    /// <summary>Seconds of warm-up lost when it restarts (model load, resume from checkpoint).</summary>
    public double RestartSeconds { get; init; }

    /// <summary>True for multi-device workloads.</summary>
    public bool IsGang => DeviceCount > 1;

    /// <summary>Memory over all devices.</summary>
    public long TotalBytes => MemoryPerDeviceBytes * DeviceCount;
}
