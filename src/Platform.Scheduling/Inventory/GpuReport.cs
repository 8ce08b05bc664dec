namespace Platform.Scheduling.Inventory;

/// <summary>One GPU as a worker reports it (a row of <c>nvidia-smi --query-gpu</c>). Absent fields are null.</summary>
/// <param name="Index">nvidia-smi index.</param>
/// <param name="Name">Product name, e.g. <c>NVIDIA A100-SXM4-80GB</c>.</param>
/// <param name="MemoryTotalBytes">memory.total.</param>
public sealed record GpuReport(int Index, string Name, long MemoryTotalBytes)
{
    /// <summary>uuid, e.g. <c>GPU-e04968e9-…</c>.</summary>
    public string? Uuid { get; init; }

    /// <summary>memory.used.</summary>
    public long? MemoryUsedBytes { get; init; }

    /// <summary>memory.free.</summary>
    public long? MemoryFreeBytes { get; init; }

    /// <summary>utilization.gpu in percent.</summary>
    public double? UtilizationPercent { get; init; }

    /// <summary>mig.mode.current is Enabled.</summary>
    public bool? MigEnabled { get; init; }

    /// <summary>
    /// Memory of the MIG instances the operator configured on this GPU (not in nvidia-smi's query output: from
    /// configuration or the registration). A GPU with MIG enabled needs them; it is never scheduled as a whole GPU.
    /// </summary>
    public IReadOnlyList<long> MigSliceBytes { get; init; } = [];

    /// <summary>MPS client limit configured on this GPU; 0 or null means no limit.</summary>
    public int? MpsShares { get; init; }
}
