using Platform.Scheduling.Inventory;

namespace Platform.Services.Scheduler.Apis;

/// <summary>POST /api/pool/workers: a worker's registration. Either <see cref="NvidiaSmiCsv"/> (the raw output of
/// <c>nvidia-smi --query-gpu=… --format=csv</c>) or <see cref="Gpus"/>.</summary>
public sealed record RegisterWorkerRequest(string? NodeId, string? NvidiaSmiCsv, IReadOnlyList<GpuInput>? Gpus, IReadOnlyList<IReadOnlyList<int>>? NvlinkGroups);

/// <summary>
/// One GPU of a worker. <see cref="MigSliceBytes"/>: the memory of each MIG instance configured on it (required when
/// <see cref="MigEnabled"/>; a workload is charged the smallest slice that holds it); <see cref="MpsShares"/>: the MPS client limit.
/// </summary>
public sealed record GpuInput(int Index, string? Name, long MemoryTotalBytes, bool? MigEnabled = null, IReadOnlyList<long>? MigSliceBytes = null, int? MpsShares = null)
{
    /// <summary>As the registration reads it.</summary>
    public GpuReport ToReport() => new(Index, Name ?? "", MemoryTotalBytes)
    {
        MigEnabled = MigEnabled,
        MigSliceBytes = MigSliceBytes ?? [],
        MpsShares = MpsShares,
    };
}

/// <summary>
/// POST /api/pool/allocations. <see cref="LeaseSeconds"/> (optional): the allocation is released unless it is read
/// (GET, or this POST again) within that many seconds; without it the allocation is held until DELETE.
/// </summary>
public sealed record AllocateRequest(string? WorkloadId, Guid? TenantId, string? Priority, string? Kind, long? MemoryPerDeviceBytes, int? DeviceCount,
    double? CheckpointSeconds, double? RestartSeconds, int? LeaseSeconds = null);

/// <summary>The answer to an allocation.</summary>
public sealed record AllocationResponse(string WorkloadId, string State, IReadOnlyList<string> DeviceIds, bool Borrowing, string? Reason);
