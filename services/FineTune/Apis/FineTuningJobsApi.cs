using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.FineTune;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Identity;
using Platform.Services.FineTune.Contracts;
using Platform.Services.FineTune.Data;
using Platform.Services.FineTune.Models;
using Platform.Services.FineTune.Pool;

namespace Platform.Services.FineTune.Apis;

/// <summary>/v1/fine_tuning/jobs, shaped like OpenAI's fine-tuning API (LoRA hyperparameters added).</summary>
public static class FineTuningJobsApi
{
    public static RouteGroupBuilder MapFineTuningJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/fine_tuning/jobs");
        api.MapPost("/", Create).RequireFineTuneAdmin();
        api.MapGet("/", List).RequireCaller();
        api.MapGet("/{jobId}", Get).RequireCaller();
        api.MapPost("/{jobId}/cancel", Cancel).RequireFineTuneAdmin();
        api.MapGet("/{jobId}/events", Events).RequireCaller();
        api.MapGet("/{jobId}/checkpoints", Checkpoints).RequireCaller();
        return api;
    }

    private static async Task<IResult> Create(HttpContext context, JobStore jobs, FileStore files, FileTokenCounter counter,
        BaseModelCatalog models, QueueEstimator queue, IOptions<FineTuneOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var caller = context.GetCaller()!;
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: ct);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return Access.Invalid("The request body is not valid JSON: " + e.Message, null);
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Access.Invalid("The request body must be a JSON object.", null);
        }
        var modelName = String(body, "model");
        if (modelName is null)
        {
            return Access.Invalid("model is required: the base model to fine-tune.", "model");
        }
        if (models.Find(modelName) is not { } model)
        {
            return Access.Invalid($"The base model '{modelName}' does not exist.", "model", "model_not_found");
        }
        var (rest, tokenIds, tokensParam, tokensError) = TrainableTokenIndices.Extract(
            body.TryGetProperty("hyperparameters", out var hp) ? hp : null, model.Config.VocabSize);
        if (tokenIds is null)
        {
            return Access.Invalid(tokensError!, tokensParam, "invalid_hyperparameters");
        }
        var (hyperparameters, param, error) = Hyperparameters.Parse(rest);
        if (hyperparameters is null)
        {
            return Access.Invalid(error!, param, "invalid_hyperparameters");
        }
        var suffix = String(body, "suffix");
        if (body.TryGetProperty("suffix", out var rawSuffix) && rawSuffix.ValueKind != JsonValueKind.Null && !Names.IsSuffix(suffix))
        {
            return Access.Invalid("suffix must be 1 to 40 letters, digits, '-' or '_', starting with a letter or digit.", "suffix");
        }
        long seed = Random.Shared.Next();
        if (body.TryGetProperty("seed", out var rawSeed) && rawSeed.ValueKind != JsonValueKind.Null)
        {
            if (rawSeed.ValueKind != JsonValueKind.Number || !rawSeed.TryGetInt64(out seed) || seed is < 0 or > int.MaxValue)
            {
                return Access.Invalid("seed must be an integer from 0 to 2147483647.", "seed");
            }
        }
        var trainingId = String(body, "training_file");
        if (trainingId is null)
        {
            return Access.Invalid("training_file is required: the id of an uploaded fine-tune file.", "training_file");
        }
        if (await files.GetAsync(caller.TenantId, trainingId, ct) is null)
        {
            return Access.Invalid($"No such file: {trainingId}.", "training_file", "file_not_found");
        }
        var validationId = String(body, "validation_file");
        if (body.TryGetProperty("validation_file", out var rawValidation) && rawValidation.ValueKind != JsonValueKind.Null
            && (validationId is null || await files.GetAsync(caller.TenantId, validationId, ct) is null))
        {
            return Access.Invalid($"No such file: {validationId ?? rawValidation.GetRawText()}.", "validation_file", "file_not_found");
        }
        // What an upload without a model could not check (token counts, length against the context) is
        // checked here, with the job's model, before anything is written: OpenAI's validating_files, synchronously.
        TokenCounts? trainingCounts = null;
        foreach (var (fileId, field) in new[] { (trainingId, "training_file"), (validationId, "validation_file") })
        {
            if (fileId is null)
            {
                continue;
            }
            var (counts, invalid) = await counter.CountAsync(caller.TenantId, fileId, model, ct);
            if (invalid is not null)
            {
                return Access.Invalid(
                    $"The file {fileId} is not a valid fine-tuning dataset for {model.Name}: {FileTokenCounter.Describe(invalid.ErrorCount, invalid.Errors)}.",
                    field, $"invalid_{field}");
            }
            if (counts is null)
            {
                return Access.Invalid($"No such file: {fileId}.", field, "file_not_found");
            }
            trainingCounts ??= counts;
        }

        var id = "ftjob-" + Guid.CreateVersion7().ToString("N");
        var job = new JobRow(id, caller.TenantId, modelName, trainingId, validationId, suffix, seed, hyperparameters, JobStatus.ValidatingFiles,
            Names.FineTunedModel(modelName, suffix, id), null, trainingCounts!.Tokens * hyperparameters.NEpochs, 0, null, null,
            clock.GetUtcNow(), null) { TrainableTokenIndices = tokenIds };
        var quota = options.Value.Quotas.For(caller.TenantId);
        var (outcome, created) = await jobs.CreateAsync(job, quota, clock.GetUtcNow(), ct);
        return outcome switch
        {
            CreateJobOutcome.Created => TypedResults.Ok(created!.ToObject(await queue.SnapshotAsync(ct))),
            CreateJobOutcome.TooManyActiveJobs => ErrorResults.OpenAi(StatusCodes.Status429TooManyRequests, "rate_limit_exceeded",
                $"The tenant already has {quota.MaxConcurrentJobs} fine-tuning job(s) validating, queued or running; wait for one to finish.",
                null, "concurrent_jobs_exceeded"),
            CreateJobOutcome.MonthlyTokensExceeded => ErrorResults.OpenAi(StatusCodes.Status429TooManyRequests, "insufficient_quota",
                $"The job needs about {job.EstimatedTokens} training tokens, beyond what is left of this month's {quota.MaxTrainingTokensPerMonth}.",
                null, "training_tokens_exceeded"),
            _ => ErrorResults.OpenAi(StatusCodes.Status409Conflict, "invalid_request_error",
                $"A fine-tuned model named '{job.OutputName}' already exists or is being trained; choose another suffix.", "suffix", "model_exists"),
        };
    }

    private static async Task<IResult> List(HttpContext context, JobStore jobs, QueueEstimator queue, string? after, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 100)
        {
            return Access.Invalid("limit must be between 1 and 100.", "limit");
        }
        var (page, more) = await jobs.ListAsync(context.GetCaller()!.TenantId, after, limit ?? 20, ct);
        var snapshot = await queue.SnapshotAsync(ct);
        var data = page.Select(j => j.ToObject(snapshot)).ToList();
        return TypedResults.Ok(new ListResponse<JobObject>(data, more) { FirstId = data.FirstOrDefault()?.Id, LastId = data.LastOrDefault()?.Id });
    }

    private static async Task<IResult> Get(HttpContext context, string jobId, JobStore jobs, QueueEstimator queue, CancellationToken ct) =>
        await jobs.GetAsync(context.GetCaller()!.TenantId, jobId, ct) is { } job
            ? TypedResults.Ok(job.ToObject(await queue.SnapshotAsync(ct)))
            : Access.NotFound($"No such fine-tuning job: {jobId}.", "fine_tuning_job_id");

    private static async Task<IResult> Cancel(HttpContext context, string jobId, JobStore jobs, CancellationToken ct)
    {
        var (job, cancelled) = await jobs.CancelAsync(context.GetCaller()!.TenantId, jobId, ct);
        if (job is null)
        {
            return Access.NotFound($"No such fine-tuning job: {jobId}.", "fine_tuning_job_id");
        }
        return cancelled
            ? TypedResults.Ok(job.ToObject())
            : ErrorResults.OpenAi(StatusCodes.Status409Conflict, "invalid_request_error",
                $"The job has already {job.Status}; only validating, queued or running jobs can be cancelled.", "fine_tuning_job_id",
                "job_not_cancellable");
    }

    private static async Task<IResult> Events(HttpContext context, string jobId, JobStore jobs, string? after, int? limit, CancellationToken ct)
    {
        var tenant = context.GetCaller()!.TenantId;
        if (limit is < 1 or > 1000)
        {
            return Access.Invalid("limit must be between 1 and 1000.", "limit");
        }
        long? cursor = null;
        if (after is not null)
        {
            if (!after.StartsWith("ftevent-", StringComparison.Ordinal) || !long.TryParse(after["ftevent-".Length..], out var n))
            {
                return Access.Invalid("after must be an event id (ftevent-…).", "after");
            }
            cursor = n;
        }
        if (await jobs.GetAsync(tenant, jobId, ct) is null)
        {
            return Access.NotFound($"No such fine-tuning job: {jobId}.", "fine_tuning_job_id");
        }
        var (events, more) = await jobs.EventsAsync(tenant, jobId, cursor, limit ?? 20, ct);
        return TypedResults.Ok(new ListResponse<EventObject>(events, more) { FirstId = events.FirstOrDefault()?.Id, LastId = events.LastOrDefault()?.Id });
    }

    private static async Task<IResult> Checkpoints(HttpContext context, string jobId, JobStore jobs, string? after, int? limit, CancellationToken ct)
    {
        var tenant = context.GetCaller()!.TenantId;
        if (limit is < 1 or > 100)
        {
            return Access.Invalid("limit must be between 1 and 100.", "limit");
        }
        if (await jobs.GetAsync(tenant, jobId, ct) is not { } job)
        {
            return Access.NotFound($"No such fine-tuning job: {jobId}.", "fine_tuning_job_id");
        }
        var (checkpoints, more) = await jobs.CheckpointsAsync(tenant, jobId, job.OutputName, after, limit ?? 10, ct);
        return TypedResults.Ok(new ListResponse<CheckpointObject>(checkpoints, more)
        {
            FirstId = checkpoints.FirstOrDefault()?.Id,
            LastId = checkpoints.LastOrDefault()?.Id,
        });
    }

    private static string? String(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
