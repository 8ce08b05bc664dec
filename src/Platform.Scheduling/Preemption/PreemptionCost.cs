using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Scheduling.Preemption;

/// <summary>Device-seconds of work a preemption throws away; victims are chosen to minimise it.</summary>
public static class PreemptionCost
{
    /// <summary>
    /// A fine-tune that can checkpoint loses its checkpoint and restart time; one that cannot loses
    /// everything since it started. An inference replica loses the warm-up of its replacement.
    /// All scaled by the devices held.
    /// </summary>
    public static double WastedDeviceSeconds(RunningWorkload workload, DateTimeOffset now)
    {
        var r = workload.Request;
        var perDevice = r.Kind == WorkloadKind.InferenceReplica || r.CheckpointSeconds > 0
            ? r.CheckpointSeconds + r.RestartSeconds
            : Math.Max(0, (now - workload.StartedAt).TotalSeconds) + r.RestartSeconds;
        return perDevice * r.DeviceCount;
    }
}
