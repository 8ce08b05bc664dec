namespace Platform.Services.Scheduler.Backends;

/// <summary>
/// <c>Scheduler:Backend = none</c>: the scheduler only accounts. Under <c>./platform up</c> every
/// service already runs as its own process, so the services that ask for allocations start and stop
/// their own work (they hear <c>preempt</c> on <c>pool:events</c> and release when done).
/// </summary>
public sealed class NoBackend : IWorkloadBackend
{
    /// <inheritdoc />
    public string Name => "none";

    /// <inheritdoc />
    public Task<ReconcileReport> ReconcileAsync(IReadOnlyList<DesiredWorkload> desired, CancellationToken cancellationToken) =>
        Task.FromResult(new ReconcileReport());
}
