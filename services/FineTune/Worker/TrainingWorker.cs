using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.Inference.Training;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Models;

namespace Platform.Services.FineTune.Worker;

/// <summary>
/// Claims queued jobs (FOR UPDATE SKIP LOCKED, with a lease) once the pool grants memory for the
/// next one, and trains them one at a time. A stopping host puts its job back in the queue; a
/// crashed one leaves a lease that lapses, and the job is claimed again and resumes from its last
/// checkpoint either way.
/// </summary>
public sealed class TrainingWorker(
    WorkerIdentity identity, JobQueue queue, JobStore jobs, BaseModelCatalog models, IGpuGrant gpu, JobTrainer trainer,
    IOptions<FineTuneOptions> options, TimeProvider clock, ILogger<TrainingWorker> logger) : BackgroundService
{
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
                    await using var lease = await gpu.AcquireAsync(await RequestFor(next.TenantId, next.Id, stoppingToken), stoppingToken);
                    if (await queue.ClaimTrainableAsync(identity.Id, options.Value.Worker.LeaseSeconds, stoppingToken) is { } claimed)
                    {
                        await trainer.RunAsync(claimed.TenantId, claimed.Id, lease, stoppingToken);
                        continue;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The training worker loop failed");
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(options.Value.Worker.PollIntervalMs), clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<GpuRequest> RequestFor(Guid tenantId, string jobId, CancellationToken ct)
    {
        var job = await jobs.GetAsync(tenantId, jobId, ct);
        var model = job is null ? null : models.Find(job.Model);
        if (job is null || model is null)
        {
            return new GpuRequest(tenantId, jobId, 0);
        }
        var lora = new LoraSettings { Rank = job.Hyperparameters.LoraR, Alpha = job.Hyperparameters.LoraAlpha, TargetModules = job.Hyperparameters.TargetModules };
        return new GpuRequest(tenantId, jobId, TrainingMemoryEstimate.LoraBytes(model.Config, lora, model.ContextLength));
    }
}
