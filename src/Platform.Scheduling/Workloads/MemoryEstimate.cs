namespace Platform.Scheduling.Workloads;

/// <summary>A memory estimate broken into its parts, in bytes. For sharded jobs the figures are per device.</summary>
public sealed record MemoryEstimate(
    long WeightsBytes,
    long KvCacheBytes = 0,
    long AdapterBytes = 0,
    long OptimizerAndGradientBytes = 0,
    long ActivationBytes = 0,
    long OverheadBytes = 0)
{
    /// <summary>Sum of all parts.</summary>
    public long TotalBytes => WeightsBytes + KvCacheBytes + AdapterBytes + OptimizerAndGradientBytes + ActivationBytes + OverheadBytes;
}
