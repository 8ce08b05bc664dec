using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.FineTune.Pool;

namespace Platform.Services.FineTune.Pool;

/// <summary>
/// Training memory from the GPU pool scheduler. A job's workload id is <c>finetune/&lt;job id&gt;</c>, so a
/// worker that takes over a crashed worker's job adopts its placement instead of asking twice. The request
/// waits while the scheduler keeps it pending (each new reason is reported), and the granted lease is
/// checked every <see cref="PoolOptions.PollIntervalMs"/>: once the scheduler no longer reports it
/// running (preempted: terminating; or gone), its <see cref="IGpuLease.Preempted"/> token fires. Disposing
/// the lease releases the placement, which is what lets a preemptor in.
/// </summary>
public sealed partial class SchedulerGpuGrant(
    SchedulerClient scheduler, IOptions<FineTuneOptions> options, TimeProvider clock, ILogger<SchedulerGpuGrant> logger) : IGpuGrant
{
    /// <summary>The workload kind fine-tunes are scheduled as.</summary>
    public const string Kind = "lora-fine-tune";

    /// <summary>The scheduler's workload id of a job.</summary>
    public static string WorkloadId(string jobId) => "finetune/" + jobId;

    private TimeSpan Poll => TimeSpan.FromMilliseconds(options.Value.Pool.PollIntervalMs);

    private SchedulerClient Scheduler => scheduler;

    private TimeProvider Clock => clock;

    private ILogger Logger => logger;

    /// <inheritdoc />
    public async Task<IGpuLease> AcquireAsync(GpuRequest request, Func<string, Task>? waiting, CancellationToken cancellationToken)
    {
        var pool = options.Value.Pool;
        var body = new AllocationRequest(WorkloadId(request.JobId), request.TenantId, request.Priority, Kind, request.MemoryBytes, 1,
            pool.CheckpointSeconds, pool.RestartSeconds);
        string? reported = null;
        try
        {
            var state = await AllocateAsync(body, cancellationToken);
            while (true)
            {
                switch (state.State)
                {
                    case "running":
                        LogGranted(logger, body.WorkloadId, string.Join(",", state.DeviceIds), body.MemoryPerDeviceBytes);
                        return new Lease(this, body, state.DeviceIds);
                    case "pending":
                        var reason = state.Reason ?? "queued";
                        if (reason != reported)
                        {
                            reported = reason;
                            LogPending(logger, body.WorkloadId, reason);
                            if (waiting is not null)
                            {
                                await waiting(reason);
                            }
                        }
                        break;
                    case "rejected":
                        throw new GpuRequestRejectedException(state.Reason ?? "the pool can never place it");
                    default:
                        // Terminating, completed or failed: an earlier attempt's placement under this id. Give it back and ask again.
                        await scheduler.ReleaseAsync(body.TenantId, body.WorkloadId, cancellationToken);
                        state = await AllocateAsync(body, cancellationToken);
                        continue;
                }
                await Task.Delay(Poll, clock, cancellationToken);
                // Unknown: the scheduler restarted and lost its pending queue (it keeps only placements). Ask again.
                state = await scheduler.StatusAsync(body.TenantId, body.WorkloadId, cancellationToken) ?? await AllocateAsync(body, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await ReleaseQuietlyAsync(body);
            throw;
        }
    }

    private async Task<AllocationState> AllocateAsync(AllocationRequest body, CancellationToken ct)
    {
        try
        {
            return await scheduler.AllocateAsync(body, ct);
        }
        catch (AllocationConflictException e)
        {
            // The id is placed with other parameters: a stale placement of an earlier attempt. It is this job's, so release it.
            LogStale(logger, body.WorkloadId, e.Message);
            await scheduler.ReleaseAsync(body.TenantId, body.WorkloadId, ct);
            return await scheduler.AllocateAsync(body, ct);
        }
    }

    private async Task ReleaseQuietlyAsync(AllocationRequest body)
    {
        try
        {
            await scheduler.ReleaseAsync(body.TenantId, body.WorkloadId, CancellationToken.None);
        }
        catch (SchedulerUnavailableException e)
        {
            LogReleaseFailed(logger, body.WorkloadId, e.Message);
        }
    }

    private sealed class Lease : IGpuLease
    {
        private readonly SchedulerGpuGrant _grant;
        private readonly AllocationRequest _body;
        private readonly CancellationTokenSource _preempted = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _watch;
        private int _detached;
        private int _disposed;

        public Lease(SchedulerGpuGrant grant, AllocationRequest body, IReadOnlyList<string> deviceIds)
        {
            _grant = grant;
            _body = body;
            Device = PoolDevices.TorchDevice(deviceIds);
            _watch = Task.Run(WatchAsync);
        }

        public string Device { get; }

        public CancellationToken Preempted => _preempted.Token;

        public void Detach() => Interlocked.Exchange(ref _detached, 1);

        private async Task WatchAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_grant.Poll, _grant.Clock, _stop.Token);
                    var state = await _grant.Scheduler.StatusAsync(_body.TenantId, _body.WorkloadId, _stop.Token);
                    if (state?.State != "running")
                    {
                        LogRevoked(_grant.Logger, _body.WorkloadId, state?.State ?? "unknown", state?.Reason);
                        await _preempted.CancelAsync();
                        return;
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Not a revocation: training goes on, and the check is tried again.
                    LogWatchFailed(_grant.Logger, _body.WorkloadId, e.Message);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }
            await _stop.CancelAsync();
            await _watch;
            if (Volatile.Read(ref _detached) == 0)
            {
                await _grant.ReleaseQuietlyAsync(_body);
            }
            _stop.Dispose();
            _preempted.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool granted {WorkloadId} {MemoryBytes} bytes on {Devices}")]
    private static partial void LogGranted(ILogger logger, string workloadId, string devices, long memoryBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool request {WorkloadId} is pending: {Reason}")]
    private static partial void LogPending(ILogger logger, string workloadId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool took {WorkloadId} back (state {State}: {Reason}); the job checkpoints and requeues")]
    private static partial void LogRevoked(ILogger logger, string workloadId, string state, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool request {WorkloadId} was placed with other parameters ({Problem}); releasing the stale placement")]
    private static partial void LogStale(ILogger logger, string workloadId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release {WorkloadId} at the pool scheduler: {Problem}")]
    private static partial void LogReleaseFailed(ILogger logger, string workloadId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check {WorkloadId} with the pool scheduler: {Problem}; training goes on")]
    private static partial void LogWatchFailed(ILogger logger, string workloadId, string problem);
}
