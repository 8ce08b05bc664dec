using Microsoft.Extensions.Options;
using Platform.Services.Gateway.Policy;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Throttling;

/// <summary>
/// Consumer requests over the admission share wait here (per replica) instead of getting a flat 429.
/// A pump retries admission for the waiters in deficit-round-robin order, weighted by each tenant's plan
/// (<c>queue_weight</c>), every
/// <see cref="PumpInterval"/>; a waiter still waiting at its deadline (Throttling:QueueTimeoutMs) is refused.
/// Across replicas, fairness comes from the admission script's per-tenant fair share.
/// </summary>
public sealed class FairQueue(SessionThrottle throttle, IOptions<GatewayOptions> options, TimeProvider clock, ILogger<FairQueue> logger) : BackgroundService
{
    public static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(50);
    private readonly DeficitRoundRobin<Waiter> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);

    public int Count
    {
        get
        {
            lock (_waiting)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Waits for admission; null when the queue is off or full (the caller keeps its refusal).</summary>
    public async Task<Admission?> WaitAsync(ApiKeyRecord key, Func<Task<Admission>> admit, CancellationToken ct)
    {
        var settings = options.Value.Throttling;
        if (settings.QueueTimeoutMs == 0)
        {
            return null;
        }
        var waiter = new Waiter(key, admit);
        lock (_waiting)
        {
            if (_waiting.Count >= settings.QueueCapacity)
            {
                return null;
            }
            _waiting.Enqueue(key.TenantId, key.Plan.QueueWeight, waiter);
        }
        _signal.Release();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(settings.QueueTimeoutMs), clock);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ct);
        try
        {
            return await waiter.Result.Task.WaitAsync(both.Token);
        }
        catch (OperationCanceledException)
        {
            bool removed;
            lock (_waiting)
            {
                removed = _waiting.Remove(key.TenantId, waiter);
            }
            if (removed || !waiter.Result.Task.IsCompletedSuccessfully)
            {
                waiter.Result.TrySetCanceled();
                return null;
            }
            // Admitted at the very moment the deadline passed: take the admission rather than leak its lease.
            return waiter.Result.Task.Result;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(PumpInterval, stoppingToken);
                await PumpAsync();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Admits waiters in DRR order until the pool refuses one (it goes back to the head of its queue).</summary>
    private async Task PumpAsync()
    {
        while (true)
        {
            Waiter? next;
            lock (_waiting)
            {
                if (!_waiting.TryDequeue(out next))
                {
                    return;
                }
            }
            Admission admission;
            try
            {
                admission = await next!.Admit();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Admission retry failed for a queued request");
                next!.Result.TrySetResult(null);
                continue;
            }
            if (admission.Outcome == AdmissionOutcome.OverShare)
            {
                lock (_waiting)
                {
                    if (!next.Result.Task.IsCompleted)
                    {
                        _waiting.ReturnToFront(next.Key.TenantId, next.Key.Plan.QueueWeight, next);
                    }
                }
                return;
            }
            if (!next.Result.TrySetResult(admission) && admission.Lease is { } orphan)
            {
                // The waiter gave up while we admitted it: hand the slot and its token reservation back.
                await throttle.ReleaseAsync(orphan, usedTokens: 0);
            }
        }
    }

    private sealed class Waiter(ApiKeyRecord key, Func<Task<Admission>> admit)
    {
        public ApiKeyRecord Key { get; } = key;
        public Func<Task<Admission>> Admit { get; } = admit;
        public TaskCompletionSource<Admission?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
