using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Models;

namespace Platform.Services.FineTune.Worker;

/// <summary>
/// validating_files → queued | failed: checks the job's files are still there and valid for its base
/// model (counted at job creation, or tokenized again when the counts are gone), fixes the
/// training-token estimate and checks the tenant's monthly token quota against it.
/// </summary>
public sealed class ValidationWorker(
    WorkerIdentity identity, JobQueue queue, JobStore jobs, FileStore files, DatasetFiles storage, FileTokenCounter counter, BaseModelCatalog models,
    IOptions<FineTuneOptions> options, TimeProvider clock, ILogger<ValidationWorker> logger) : BackgroundService
{
    private readonly string _workerId = identity.Id + ":validate";

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
                if (await queue.ClaimValidationAsync(_workerId, options.Value.Worker.LeaseSeconds, stoppingToken) is { } claimed)
                {
                    await ValidateAsync(claimed.TenantId, claimed.Id, stoppingToken);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Validating fine-tuning files failed");
            }
            await Delay(stoppingToken);
        }
    }

    private async Task ValidateAsync(Guid tenantId, string jobId, CancellationToken ct)
    {
        var job = await jobs.GetAsync(tenantId, jobId, ct);
        if (job is null)
        {
            return;
        }
        var model = models.Find(job.Model);
        if (model is null)
        {
            await queue.FailAsync(tenantId, jobId, _workerId, "model_not_found", $"The base model '{job.Model}' is no longer available.", ct);
            return;
        }
        long tokens = 0;
        foreach (var (fileId, kind) in new[] { (job.TrainingFile, "training"), (job.ValidationFile, "validation") })
        {
            if (fileId is null)
            {
                continue;
            }
            var path = storage.PathOf(tenantId, fileId);
            if (await files.GetAsync(tenantId, fileId, ct) is null || !File.Exists(path))
            {
                await queue.FailAsync(tenantId, jobId, _workerId, $"invalid_{kind}_file", $"The {kind} file {fileId} was deleted.", ct);
                return;
            }
            var (counts, invalid) = await counter.CountAsync(tenantId, fileId, model, ct);
            if (invalid is not null)
            {
                await queue.FailAsync(tenantId, jobId, _workerId, $"invalid_{kind}_file",
                    $"The {kind} file {fileId} is not valid for {job.Model}: {FileTokenCounter.Describe(invalid.ErrorCount, invalid.Errors)}.", ct);
                return;
            }
            if (counts is null)
            {
                await queue.FailAsync(tenantId, jobId, _workerId, $"invalid_{kind}_file", $"The {kind} file {fileId} was deleted.", ct);
                return;
            }
            if (kind == "training")
            {
                tokens = counts.Tokens * job.Hyperparameters.NEpochs;
            }
        }
        var quota = options.Value.Quotas.For(tenantId);
        var used = await jobs.MonthlyTokensAsync(tenantId, clock.GetUtcNow(), jobId, ct);
        if (used + tokens > quota.MaxTrainingTokensPerMonth)
        {
            await queue.FailAsync(tenantId, jobId, _workerId, "quota_exceeded",
                $"The job needs {tokens} training tokens; {used} of this month's {quota.MaxTrainingTokensPerMonth} are used.", ct);
            return;
        }
        await queue.MarkQueuedAsync(tenantId, jobId, _workerId, tokens,
            $"Files validated: {tokens} training tokens over {job.Hyperparameters.NEpochs} epochs. Job queued.", ct);
    }

    private async Task Delay(CancellationToken ct)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(options.Value.Worker.PollIntervalMs), clock, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
