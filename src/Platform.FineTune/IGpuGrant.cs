namespace Platform.FineTune;

/// <summary>What a training job asks the pool for.</summary>
/// <param name="TenantId">Whose job it is.</param>
/// <param name="JobId">The job.</param>
/// <param name="MemoryBytes">Estimated device memory for the run.</param>
/// <param name="Priority">Scheduling class ("batch" for fine-tunes).</param>
public sealed record GpuRequest(Guid TenantId, string JobId, long MemoryBytes, string Priority = "batch");

/// <summary>
/// Device memory granted by the pool scheduler. <see cref="IGpuGrant.AcquireAsync"/> waits in the
/// scheduler's queue until the memory is placed; disposing the lease gives it back. The lease's
/// token fires when the scheduler preempts the job (it then checkpoints and requeues).
/// </summary>
public interface IGpuLease : IAsyncDisposable
{
    /// <summary>The device to train on ("cpu", "cuda:0", …).</summary>
    string Device { get; }

    /// <summary>Cancelled when the scheduler takes the memory back.</summary>
    CancellationToken Preempted { get; }

    /// <summary>
    /// Drops the lease without giving the memory back, for a worker that lost the claim on the job to
    /// another worker holding the same grant. Disposing afterwards releases nothing.
    /// </summary>
    void Detach();
}

/// <summary>Asks the pool for device memory for one training job.</summary>
public interface IGpuGrant
{
    /// <summary>
    /// Waits until <paramref name="request"/> is granted; <paramref name="waiting"/> hears each new reason
    /// for waiting. Throws <see cref="Pool.GpuRequestRejectedException"/> when the pool can never place it;
    /// a cancelled wait withdraws the request.
    /// </summary>
    Task<IGpuLease> AcquireAsync(GpuRequest request, Func<string, Task>? waiting, CancellationToken cancellationToken);
}

/// <summary>
/// The single-machine grant: this machine's CPU, one training job at a time, granted as soon as
/// the previous job returns it. Never preempts.
/// </summary>
public sealed class LocalGpuGrant : IGpuGrant, IDisposable
{
    private readonly SemaphoreSlim _slot = new(1, 1);

    /// <inheritdoc />
    public async Task<IGpuLease> AcquireAsync(GpuRequest request, Func<string, Task>? waiting, CancellationToken cancellationToken)
    {
        await _slot.WaitAsync(cancellationToken);
        return new Lease(_slot);
    }

    /// <inheritdoc />
    public void Dispose() => _slot.Dispose();

    private sealed class Lease(SemaphoreSlim slot) : IGpuLease
    {
        private int _released;

        public string Device => "cpu";

        public CancellationToken Preempted => CancellationToken.None;

        // The slot is this process's own: a lost claim frees it like a release.
        public void Detach() => _ = DisposeAsync();

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slot.Release();
            }
            return ValueTask.CompletedTask;
        }
    }
}
