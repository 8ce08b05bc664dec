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
}
