using Platform.Scheduling.Inventory;
using Platform.Scheduling.State;
using Platform.Scheduling.Workloads;

namespace Platform.Services.Scheduler.Backends;

/// <summary>A bound workload as a backend sees it: run it on these devices, or stop it when <see cref="Stop"/>.</summary>
/// <param name="Workload">The placement (request, devices, charged memory, start time).</param>
/// <param name="Devices">The placed devices, in placement order (one node: gangs never span NVLink groups).</param>
/// <param name="Borrowing">The tenant holds it beyond its guarantee.</param>
/// <param name="Model">For a replica the scheduler scales: the model it serves; null for workloads that others asked for.</param>
public sealed record DesiredWorkload(RunningWorkload Workload, IReadOnlyList<GpuDevice> Devices, bool Borrowing, ServedModel? Model = null)
{
    /// <summary>Workload id.</summary>
    public string Id => Workload.Request.Id;

    /// <summary>The request.</summary>
    public WorkloadRequest Request => Workload.Request;

    /// <summary>Node the placement is on.</summary>
    public string NodeId => Devices[0].NodeId;

    /// <summary>Preempted (or drained): stop it gracefully; the pool releases it once the backend reports it gone.</summary>
    public bool Stop => Workload.Terminating;

    /// <summary>Seconds a stopping workload gets between the polite signal and the kill: the backend's grace, or longer when it checkpoints.</summary>
    public double GraceSeconds(double backendGraceSeconds) => Math.Max(backendGraceSeconds, Request.CheckpointSeconds);
}

/// <summary>What a scaled inference replica serves.</summary>
/// <param name="Name">Model name (as <c>/v1/models</c> lists it).</param>
/// <param name="Directory">The Hugging Face checkpoint folder (on the scheduler's host: <c>Platform:ModelsDir</c>/name).</param>
/// <param name="KvCacheBytes">KV-cache budget the replica is sized for (<c>Inference:KvCacheBytes</c>).</param>
public sealed record ServedModel(string Name, string Directory, long KvCacheBytes);
