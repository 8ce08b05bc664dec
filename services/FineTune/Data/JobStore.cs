using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Data;
using Platform.FineTune;
using Platform.Services.FineTune.Contracts;

namespace Platform.Services.FineTune.Data;

/// <summary>Why a job could not be created.</summary>
public enum CreateJobOutcome
{
    Created,
    TooManyActiveJobs,
    MonthlyTokensExceeded,
    NameTaken,
}

/// <summary>Jobs, events and checkpoints; every statement runs in a <see cref="TenantScope"/> (row-level security).</summary>
public sealed class JobStore(NpgsqlDataSource db)
{
    /// <summary>
    /// Inserts the job (validating_files) with its first events, after checking the tenant's quotas in
    /// the same transaction; nothing is written unless the outcome is <see cref="CreateJobOutcome.Created"/>.
    /// </summary>
    public async Task<(CreateJobOutcome Outcome, JobRow? Job)> CreateAsync(JobRow job, TenantQuota quota, DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, job.TenantId, ct);
        await using (var serialise = scope.CreateCommand("SELECT pg_advisory_xact_lock(hashtext($1))"))
        {
            serialise.Parameters.Add(new() { Value = "finetune.quota." + job.TenantId });
            await serialise.ExecuteNonQueryAsync(ct);
        }
        if (await CountActiveAsync(scope, ct) >= quota.MaxConcurrentJobs)
        {
            return (CreateJobOutcome.TooManyActiveJobs, null);
        }
        if (await MonthlyTokensAsync(scope, TenantQuota.MonthStart(now), null, ct) + job.EstimatedTokens > quota.MaxTrainingTokensPerMonth)
        {
            return (CreateJobOutcome.MonthlyTokensExceeded, null);
        }
        await using var insert = scope.CreateCommand($"""
            INSERT INTO finetune.jobs (id, tenant_id, model, training_file, validation_file, suffix, seed, hyperparameters, status,
                output_name, estimated_tokens)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'validating_files', $9, $10)
            ON CONFLICT DO NOTHING
            RETURNING {JobRow.Columns}
            """);
        insert.Parameters.Add(new() { Value = job.Id });
        insert.Parameters.Add(new() { Value = job.TenantId });
        insert.Parameters.Add(new() { Value = job.Model });
        insert.Parameters.Add(new() { Value = job.TrainingFile });
        insert.Parameters.Add(new() { Value = (object?)job.ValidationFile ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new() { Value = (object?)job.Suffix ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new() { Value = job.Seed });
        insert.Parameters.Add(new() { Value = JobRow.Serialize(job.Hyperparameters, job.TrainableTokenIndices), NpgsqlDbType = NpgsqlDbType.Jsonb });
        insert.Parameters.Add(new() { Value = job.OutputName });
        insert.Parameters.Add(new() { Value = job.EstimatedTokens });
        JobRow? created = null;
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                created = JobRow.Read(reader);
            }
        }
        if (created is null)
        {
            return (CreateJobOutcome.NameTaken, null);
        }
        await AddEventAsync(scope, job.Id, "info", "message", $"Created fine-tuning job: {job.Id}", null, ct);
        await AddEventAsync(scope, job.Id, "info", "message", $"Validating training file: {job.TrainingFile}" +
            (job.ValidationFile is null ? "" : $" and validation file: {job.ValidationFile}"), null, ct);
        await scope.CommitAsync(ct);
        return (CreateJobOutcome.Created, created);
    }

    public async Task<JobRow?> GetAsync(Guid tenantId, string id, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"SELECT {JobRow.Columns} FROM finetune.jobs WHERE id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? JobRow.Read(reader) : null;
    }

    /// <summary>Newest first; <paramref name="after"/> is the last id of the previous page.</summary>
    public async Task<(IReadOnlyList<JobRow> Jobs, bool HasMore)> ListAsync(Guid tenantId, string? after, int limit, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"""
            SELECT {JobRow.Columns} FROM finetune.jobs
            WHERE $1::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM finetune.jobs WHERE id = $1)
            ORDER BY created_at DESC, id DESC LIMIT $2
            """);
        cmd.Parameters.Add(new() { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = limit + 1 });
        var jobs = new List<JobRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            jobs.Add(JobRow.Read(reader));
        }
        return (jobs.Take(limit).ToList(), jobs.Count > limit);
    }

    /// <summary>Cancels an active job; null when there is no such job, the job unchanged when it had already finished.</summary>
    public async Task<(JobRow? Job, bool Cancelled)> CancelAsync(Guid tenantId, string id, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"""
            UPDATE finetune.jobs SET status = 'cancelled', finished_at = now(), worker_id = NULL, lease_until = NULL
            WHERE id = $1 AND status = ANY($2) RETURNING {JobRow.Columns}
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = JobStatus.Active.ToArray() });
        JobRow? job = null;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                job = JobRow.Read(reader);
            }
        }
        if (job is null)
        {
            // Same transaction: a second connection would wait behind this one on the embedded PostgreSQL.
            await using var get = scope.CreateCommand($"SELECT {JobRow.Columns} FROM finetune.jobs WHERE id = $1");
            get.Parameters.Add(new() { Value = id });
            await using var reader = await get.ExecuteReaderAsync(ct);
            return (await reader.ReadAsync(ct) ? JobRow.Read(reader) : null, false);
        }
        await AddEventAsync(scope, id, "info", "message", "Fine-tuning job cancelled by request.", null, ct);
        await scope.CommitAsync(ct);
        return (job, true);
    }

    /// <summary>Newest first; <paramref name="after"/> is an event id ("ftevent-N") from the previous page.</summary>
    public async Task<(IReadOnlyList<EventObject> Events, bool HasMore)> EventsAsync(Guid tenantId, string jobId, long? after, int limit, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            SELECT id, created_at, level, message, type, data FROM finetune.job_events
            WHERE job_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new() { Value = limit + 1 });
        var events = new List<EventObject>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            JsonElement? data = reader.IsDBNull(5) ? null : JsonDocument.Parse(reader.GetString(5)).RootElement.Clone();
            events.Add(new EventObject("ftevent-" + reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1).ToUnixTimeSeconds(),
                reader.GetString(2), reader.GetString(3), reader.GetString(4), data));
        }
        return (events.Take(limit).ToList(), events.Count > limit);
    }

    /// <summary>Newest first.</summary>
    public async Task<(IReadOnlyList<CheckpointObject> Checkpoints, bool HasMore)> CheckpointsAsync(Guid tenantId, string jobId, string outputName,
        string? after, int limit, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            SELECT id, created_at, step, metrics FROM finetune.job_checkpoints
            WHERE job_id = $1 AND ($2::text IS NULL OR step < (SELECT step FROM finetune.job_checkpoints WHERE id = $2))
            ORDER BY step DESC LIMIT $3
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = limit + 1 });
        var checkpoints = new List<CheckpointObject>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var step = reader.GetInt32(2);
            checkpoints.Add(new CheckpointObject(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1).ToUnixTimeSeconds(),
                $"{outputName}:ckpt-step-{step}", jobId, JsonDocument.Parse(reader.GetString(3)).RootElement.Clone(), step));
        }
        return (checkpoints.Take(limit).ToList(), checkpoints.Count > limit);
    }

    /// <summary>Appends an event in its own short transaction.</summary>
    public async Task AddEventAsync(Guid tenantId, string jobId, string level, string type, string message, object? data, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await AddEventAsync(scope, jobId, level, type, message, data, ct);
        await scope.CommitAsync(ct);
    }

    /// <summary>Training tokens the tenant has used or reserved this month (excluding <paramref name="exceptJob"/>).</summary>
    public async Task<long> MonthlyTokensAsync(Guid tenantId, DateTimeOffset now, string? exceptJob, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        return await MonthlyTokensAsync(scope, TenantQuota.MonthStart(now), exceptJob, ct);
    }

    internal static async Task AddEventAsync(TenantScope scope, string jobId, string level, string type, string message, object? data,
        CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("""
            INSERT INTO finetune.job_events (tenant_id, job_id, level, type, message, data) VALUES ($1, $2, $3, $4, $5, $6)
            """);
        cmd.Parameters.Add(new() { Value = scope.TenantId });
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = level });
        cmd.Parameters.Add(new() { Value = type });
        cmd.Parameters.Add(new() { Value = message });
        cmd.Parameters.Add(new()
        {
            Value = data is null ? DBNull.Value : JsonSerializer.Serialize(data, Json), NpgsqlDbType = NpgsqlDbType.Jsonb,
        });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> CountActiveAsync(TenantScope scope, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("SELECT count(*) FROM finetune.jobs WHERE status = ANY($1)");
        cmd.Parameters.Add(new() { Value = JobStatus.Active.ToArray() });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    // Finished or active jobs reserve their estimate; failed and cancelled ones count what they trained.
    private static async Task<long> MonthlyTokensAsync(TenantScope scope, DateTimeOffset monthStart, string? exceptJob, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("""
            SELECT coalesce(sum(CASE WHEN status IN ('failed', 'cancelled') THEN trained_tokens ELSE estimated_tokens END), 0)::bigint
            FROM finetune.jobs WHERE created_at >= $1 AND id IS DISTINCT FROM $2
            """);
        cmd.Parameters.Add(new() { Value = monthStart });
        cmd.Parameters.Add(new() { Value = (object?)exceptJob ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
