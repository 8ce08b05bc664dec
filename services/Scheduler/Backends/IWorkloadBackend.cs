namespace Platform.Services.Scheduler.Backends;

/// <summary>
/// Carries placement decisions out: after each scheduling cycle the pool hands it every bound
/// workload (running or terminating), and the backend makes what actually runs match — starting new
/// placements, stopping preempted ones gracefully, restarting or reporting crashed ones, removing
/// what nothing asks for. Selected by <c>Scheduler:Backend</c> (none, local, kubernetes).
/// </summary>
public interface IWorkloadBackend
{
    /// <summary>Name shown in the pool view and in logs.</summary>
    string Name { get; }

    /// <summary>
    /// One reconcile pass of desired against actual state. Calls are serialised by the backend; the
    /// report says what changed, so the pool can release what is gone and record what failed.
    /// </summary>
    Task<ReconcileReport> ReconcileAsync(IReadOnlyList<DesiredWorkload> desired, CancellationToken cancellationToken);
}
