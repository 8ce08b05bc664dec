using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.FineTune.Pool;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Models;
using Platform.Services.FineTune.Pool;

namespace Platform.Services.FineTune.Worker;

/// <summary>
/// Takes the oldest trainable job, asks the pool (<see cref="IGpuGrant"/>) for its memory and waits while
/// the request is pending (the job stays queued, with a "waiting" event per new reason; a cancel ends the
/// wait), then claims exactly that job (FOR UPDATE SKIP LOCKED, with a lease) and trains it. Jobs run one
/// at a time per worker. A stopping host or a preempted grant puts the job back in the queue after a
/// checkpoint; a crashed worker leaves a lease that lapses, and the job is claimed again. Either way it
/// resumes from its last checkpoint. The grant is given back when training ends, however it ends.
/// </summary>
public sealed class TrainingWorker(
    WorkerIdentity identity, JobQueue queue, JobStore jobs, FileStore files, BaseModelCatalog models, IGpuGrant gpu, JobTrainer trainer,
    IOptions<FineTuneOptions> options, TimeProvider clock, ILogger<TrainingWorker> logger) : BackgroundService
{
    private TimeSpan Poll => TimeSpan.FromMilliseconds(options.Value.Worker.PollIntervalMs);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Worker.Enabled)
        {
            return;
        }
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await queue.PeekTrainableAsync(stoppingToken) is { } next)
                {
                    await TrainAsync(next.TenantId, next.Id, stoppingToken);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (SchedulerUnavailableException e)
            {
                logger.LogWarning("The pool scheduler is unavailable; queued jobs wait: {Problem}", e.Message);
            }
            catch (Exception e)
            {
                logger.LogError(e, "The training worker loop failed");
            }
            try
            {
                await Task.Delay(Poll, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task TrainAsync(Guid tenantId, string jobId, CancellationToken stoppingToken)
    {
        var worker = identity.Id;
        var leaseSeconds = options.Value.Worker.LeaseSeconds;
        var request = await RequestForAsync(tenantId, jobId, stoppingToken);
        if (request is null)
        {
            // The base model went away after validation: nothing to ask the pool for.
            if (await queue.ClaimTrainableAsync(jobId, worker, leaseSeconds, stoppingToken) is not null)
            {
                await queue.FailAsync(tenantId, jobId, worker, "model_not_found", "The base model is no longer available.", CancellationToken.None);
            }
            return;
        }

        IGpuLease lease;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            var watcher = CancelWhenNotTrainableAsync(jobId, wait);
            try
            {
                lease = await gpu.AcquireAsync(request, reason => jobs.AddEventAsync(tenantId, jobId, "info", "message",
                    $"Waiting for GPU memory from the pool: {reason}.", new { memory_bytes = request.MemoryBytes, reason }, CancellationToken.None), wait.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return; // cancelled (or taken by another worker) while it waited: the grant withdrew the request
            }
            catch (GpuRequestRejectedException e)
            {
                await queue.FailQueuedAsync(tenantId, jobId, "unschedulable",
                    $"The GPU pool can never fit this job's {request.MemoryBytes} bytes: {e.Message}", CancellationToken.None);
                return;
            }
            finally
            {
                await wait.CancelAsync();
                await watcher;
            }
        }

        await using (lease)
        {
            if (await queue.ClaimTrainableAsync(jobId, worker, leaseSeconds, stoppingToken) is null)
            {
                if (await queue.IsHeldByAnotherAsync(jobId, worker, CancellationToken.None))
                {
                    lease.Detach(); // the other worker trains it under the same grant
                }
                return;
            }
            await trainer.RunAsync(tenantId, jobId, lease, stoppingToken);
        }
    }

    /// <summary>Cancels <paramref name="wait"/> once the job is no longer waiting for training (cancelled, claimed elsewhere).</summary>
    private async Task CancelWhenNotTrainableAsync(string jobId, CancellationTokenSource wait)
    {
        try
        {
            while (!wait.IsCancellationRequested)
            {
                await Task.Delay(Poll, clock, wait.Token);
                if (!await queue.IsTrainableAsync(jobId, wait.Token))
                {
                    await wait.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not check whether job {JobId} still waits", jobId);
        }
    }

    /// <summary>The pool request: the scheduler's LoRA estimate for the job's base model, rank, targets and longest example.</summary>
    private async Task<GpuRequest?> RequestForAsync(Guid tenantId, string jobId, CancellationToken ct)
    {
        var job = await jobs.GetAsync(tenantId, jobId, ct);
        if (job is null || models.Find(job.Model) is not { } model)
        {
            return null;
        }
        var longest = 0;
        foreach (var fileId in new[] { job.TrainingFile, job.ValidationFile })
        {
            // Counted with the job's model when the job was created (or validated).
            if (fileId is not null && await files.GetCountsAsync(tenantId, fileId, job.Model, ct) is { } counts)
            {
                longest = Math.Max(longest, counts.MaxExampleTokens);
            }
        }
        var sequence = longest > 0 ? Math.Min(longest, model.ContextLength) : model.ContextLength;
        var h = job.Hyperparameters;
        var estimate = LoraPoolEstimate.For(model.Spec, h.LoraR, h.TargetModules, sequence, options.Value.Pool.RuntimeOverheadBytes);
        // Trainable token rows: weight, gradient and two AdamW moments (F32) per row of the hidden size.
        var tokenRows = (long)job.TrainableTokenIndices.Count * model.Config.HiddenSize * 16;
        return new GpuRequest(tenantId, jobId, estimate.TotalBytes + tokenRows, options.Value.Pool.Priority);
    }
}
