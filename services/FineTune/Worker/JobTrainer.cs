using System.Diagnostics;
using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.Inference.Checkpoints;
using Platform.Inference.Training;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Models;

namespace Platform.Services.FineTune.Worker;

/// <summary>
/// Trains one claimed job: loads the base model and the job's files, resumes from the newest
/// checkpoint when there is one, and writes step metrics, checkpoints and the final PEFT adapter
/// (ModelsDir/adapters/&lt;tenant&gt;/&lt;base&gt;:&lt;suffix-or-job-id&gt;/) as it goes.
/// </summary>
public sealed class JobTrainer(
    WorkerIdentity identity, JobQueue queue, JobStore jobs, DatasetFiles storage, BaseModelCatalog models,
    IOptions<FineTuneOptions> options, ILogger<JobTrainer> logger)
{
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(1);

    public async Task RunAsync(Guid tenantId, string jobId, IGpuLease lease, CancellationToken stoppingToken)
    {
        var worker = identity.Id;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lease.Preempted);
        var lastCheckpoint = 0;
        try
        {
            var job = await jobs.GetAsync(tenantId, jobId, CancellationToken.None)
                ?? throw new InvalidOperationException("the claimed job disappeared");
            var model = models.Find(job.Model) ?? throw new TrainingFailure("model_not_found", $"The base model '{job.Model}' is not available.");
            var train = ReadFile(tenantId, job.TrainingFile, model, "training");
            var validation = job.ValidationFile is { } v ? ReadFile(tenantId, v, model, "validation") : null;
            var h = job.Hyperparameters;
            var o = options.Value;
            var settings = new TrainingSettings
            {
                Epochs = h.NEpochs, BatchSize = h.BatchSize, LearningRate = o.BaseLearningRate * h.LearningRateMultiplier,
                WarmupRatio = o.WarmupRatio, MaxGradNorm = o.MaxGradNorm, Seed = job.Seed, EvalEvery = o.EvalEverySteps,
                CheckpointEvery = o.CheckpointEverySteps, MaxValidationExamples = o.MaxValidationExamples,
            };
            var lora = new LoraSettings
            {
                Rank = h.LoraR, Alpha = h.LoraAlpha, Dropout = h.LoraDropout, TargetModules = h.TargetModules,
                TrainableTokenIndices = job.TrainableTokenIndices,
            };

            using var loaded = ModelLoader.Load(model.Directory);
            using var delta = LoraDelta.Create(loaded.Model, lora, job.Seed);
            using var run = new LoraTrainer(loaded.Model, delta, settings, train.Examples, validation?.Examples);
            long tokens = 0;
            if (await queue.LatestCheckpointAsync(tenantId, jobId, CancellationToken.None) is { } checkpoint)
            {
                TrainingCheckpoint.Load(checkpoint.Path, run);
                lastCheckpoint = checkpoint.Step;
                tokens = train.Tokens * checkpoint.Step / run.StepsPerEpoch;
                await Event(job, "info", "message", $"Resumed from checkpoint at step {checkpoint.Step} of {run.TotalSteps}.",
                    new { step = checkpoint.Step, total_steps = run.TotalSteps });
            }
            else
            {
                await Event(job, "info", "message",
                    $"Fine-tuning job started: {run.TotalSteps} steps, {delta.ParameterCount} trainable LoRA parameters on {DeviceNote(lease.Device)}.",
                    new { total_steps = run.TotalSteps, trainable_parameters = delta.ParameterCount });
                if (run.ValidationLoss() is { } initial)
                {
                    await Event(job, "info", "metrics", $"Step 0/{run.TotalSteps}: validation loss={initial:F4}",
                        new { step = 0, total_steps = run.TotalSteps, valid_loss = initial });
                }
            }

            var sinceRenew = Stopwatch.StartNew();
            StepMetrics? last = null;
            while (!run.IsComplete)
            {
                if (stop.IsCancellationRequested)
                {
                    // Preempted or stopping: save where it stands, so the job resumes at this step rather than the last periodic checkpoint.
                    if (last is { } at && at.Step > lastCheckpoint
                        && await SaveCheckpointAsync(tenantId, jobId, worker, run, job.Model, at))
                    {
                        lastCheckpoint = at.Step;
                    }
                    stop.Token.ThrowIfCancellationRequested();
                }
                var m = run.TrainStep();
                last = m;
                tokens += m.Tokens;
                await Event(job, "info", "metrics", Describe(m), Metrics(m));
                if (run.IsCheckpointStep(m.Step))
                {
                    if (!await SaveCheckpointAsync(tenantId, jobId, worker, run, job.Model, m))
                    {
                        logger.LogInformation("Job {JobId} was cancelled or taken over at step {Step}", jobId, m.Step);
                        return;
                    }
                    lastCheckpoint = m.Step;
                }
                if (sinceRenew.Elapsed >= RenewEvery)
                {
                    sinceRenew.Restart();
                    if (!await queue.RenewAsync(tenantId, jobId, worker, options.Value.Worker.LeaseSeconds, tokens, CancellationToken.None))
                    {
                        logger.LogInformation("Job {JobId} was cancelled or taken over at step {Step}", jobId, m.Step);
                        return;
                    }
                }
            }

            var adapter = storage.AdapterDirectory(tenantId, job.OutputName);
            SaveAdapter(adapter, delta, job.Model);
            if (!await queue.SucceedAsync(tenantId, jobId, worker, job.OutputName, train.Tokens * h.NEpochs, CancellationToken.None))
            {
                Directory.Delete(adapter, recursive: true);
                return;
            }
            logger.LogInformation("Job {JobId} produced {FineTunedModel}", jobId, job.OutputName);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            var why = lease.Preempted.IsCancellationRequested ? "preempted by the GPU pool" : "the worker stopped";
            await queue.RequeueAsync(tenantId, jobId, worker,
                $"Job paused ({why}); it resumes from the checkpoint at step {lastCheckpoint}.", CancellationToken.None);
        }
        catch (TrainingFailure e)
        {
            await queue.FailAsync(tenantId, jobId, worker, e.Code, e.Message, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} failed", jobId);
            await queue.FailAsync(tenantId, jobId, worker, "training_error", e.Message, CancellationToken.None);
        }
    }

    // The model is loaded on the CPU: this build ships TorchSharp-cpu, so a GPU grant is named but not used.
    private static string DeviceNote(string granted) => granted == "cpu" ? "cpu" : $"cpu (granted {granted}; this build trains on the CPU)";

    /// <summary>Writes a checkpoint folder and records it; false when the job is no longer this worker's.</summary>
    private async Task<bool> SaveCheckpointAsync(Guid tenantId, string jobId, string worker, LoraTrainer run, string baseModel, StepMetrics m)
    {
        var dir = Path.Combine(storage.JobDirectory(tenantId, jobId), $"checkpoint-{m.Step:D6}");
        TrainingCheckpoint.Save(dir, run, baseModel, m);
        return await queue.AddCheckpointAsync(tenantId, jobId, worker, m.Step, dir, Metrics(m), CancellationToken.None);
    }

    private DatasetReport ReadFile(Guid tenantId, string fileId, BaseModelInfo model, string kind)
    {
        var path = storage.PathOf(tenantId, fileId);
        if (!File.Exists(path))
        {
            throw new TrainingFailure($"invalid_{kind}_file", $"The {kind} file {fileId} was deleted.");
        }
        var report = storage.Validate(path, model);
        return report.IsValid
            ? report
            : throw new TrainingFailure($"invalid_{kind}_file", $"The {kind} file {fileId} is not valid: {string.Join("; ", report.Errors)}");
    }

    private static void SaveAdapter(string directory, LoraDelta delta, string baseModel)
    {
        var staging = directory + ".tmp";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
        PeftAdapter.Save(staging, delta, baseModel);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        Directory.Move(staging, directory);
    }

    private Task Event(JobRow job, string level, string type, string message, object? data) =>
        jobs.AddEventAsync(job.TenantId, job.Id, level, type, message, data, CancellationToken.None);

    private static string Describe(StepMetrics m) =>
        $"Step {m.Step}/{m.TotalSteps}: training loss={m.TrainLoss:F4}" + (m.ValidLoss is { } v ? $", validation loss={v:F4}" : "");

    private static object Metrics(StepMetrics m) => new
    {
        step = m.Step,
        total_steps = m.TotalSteps,
        train_loss = m.TrainLoss,
        valid_loss = m.ValidLoss,
        learning_rate = m.LearningRate,
        grad_norm = m.GradNorm,
        epoch = m.Epoch,
        tokens = m.Tokens,
    };

    private sealed class TrainingFailure(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
