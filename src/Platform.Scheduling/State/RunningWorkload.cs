using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.State;

/// <summary>A workload bound to devices. <paramref name="ChargedBytesPerDevice"/> is what each device is charged (a MIG slice can exceed the request).</summary>
public sealed record RunningWorkload(WorkloadRequest Request, IReadOnlyList<string> DeviceIds, long ChargedBytesPerDevice, DateTimeOffset StartedAt)
{
    /// <summary>Told to stop (preempted or drained) but still holding its memory.</summary>
    public bool Terminating { get; init; }

    /// <summary>Memory charged over all devices.</summary>
    public long ChargedBytes => ChargedBytesPerDevice * DeviceIds.Count;
}
