namespace Platform.Scheduling.Workers;

/// <summary>How a <see cref="GpuWorkerAgent"/> reports its node.</summary>
/// <param name="NodeId">The node's id in the pool (1 to 200 characters).</param>
/// <param name="Interval">Heartbeat interval; the scheduler drains a node after <c>Scheduler:MissedHeartbeats</c> of its own intervals.</param>
/// <param name="NvidiaSmiPath">The nvidia-smi executable.</param>
public sealed record GpuWorkerSettings(string NodeId, TimeSpan Interval, string NvidiaSmiPath = "nvidia-smi")
{
    /// <summary>How long one nvidia-smi run may take before it is killed.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
