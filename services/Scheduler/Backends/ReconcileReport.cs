namespace Platform.Services.Scheduler.Backends;

/// <summary>What one reconcile pass found and did.</summary>
public sealed class ReconcileReport
{
    /// <summary>Workloads started (or created) in this pass, with their handle (pid, pod or job).</summary>
    public List<WorkloadNote> Started { get; } = [];

    /// <summary>Stopping workloads that are now gone: the pool releases their memory.</summary>
    public List<string> Stopped { get; } = [];

    /// <summary>Workloads that finished on their own (a fine-tune that exited 0, a Job that completed): released.</summary>
    public List<WorkloadNote> Completed { get; } = [];

    /// <summary>Workloads that cannot run (crashed past the restart limit, a failed Job, no command for the kind): released, not requeued.</summary>
    public List<WorkloadNote> Failed { get; } = [];

    /// <summary>Crashed workloads started again.</summary>
    public List<WorkloadNote> Restarted { get; } = [];

    /// <summary>Actual state that differed from the placements, and what was done about it.</summary>
    public List<WorkloadNote> Drift { get; } = [];

    /// <summary>Calls that failed in this pass (API errors); the next pass tries again.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>What runs for each placement this backend manages.</summary>
    public Dictionary<string, ObservedWorkload> Observed { get; } = new(StringComparer.Ordinal);
}

/// <summary>One workload and a human-readable note.</summary>
public sealed record WorkloadNote(string WorkloadId, string Note);

/// <summary>How a placement runs on the backend (shown in <c>GET /api/pool</c>).</summary>
/// <param name="Backend">local or kubernetes.</param>
/// <param name="State">running, pending, stopping, restarting.</param>
/// <param name="Handle">pid or Kubernetes object, e.g. <c>pid 4242</c>, <c>pod/replica-acme-1a2b3c4d</c>.</param>
/// <param name="Endpoint">Where a replica listens, when known.</param>
/// <param name="Restarts">Restarts so far.</param>
/// <param name="LastExit">Why it last stopped, when it has.</param>
public sealed record ObservedWorkload(string Backend, string State, string? Handle, string? Endpoint, int Restarts, string? LastExit);
