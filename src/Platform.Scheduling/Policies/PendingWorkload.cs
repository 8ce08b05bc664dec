using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Policies;

/// <summary>A workload waiting for placement, with when it was queued (arrival order for FIFO).</summary>
public sealed record PendingWorkload(WorkloadRequest Request, DateTimeOffset EnqueuedAt);
