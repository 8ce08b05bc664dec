using Npgsql;
using NpgsqlTypes;
using Platform.Data;
using Platform.FineTune;

namespace Platform.Services.FineTune.Data;

/// <summary>
/// The worker's side of finetune.jobs. Claiming looks across tenants, so it runs as the service's
/// own role (it reads only ids and leases); everything done to a claimed job runs in that job's
/// <see cref="TenantScope"/> and only while this worker still holds it (status and worker_id checked
/// in the same statement), so a cancel or a takeover wins over a late write. Transactions are one
/// or two statements: the embedded PostgreSQL is one backend shared by every connection.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource db)
{
    /// <summary>The oldest job waiting for training (queued, or running under a lapsed lease), without claiming it.</summary>
    public async Task<(string Id, Guid TenantId)?> PeekTrainableAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT id, tenant_id FROM finetune.jobs
            WHERE status = 'queued' OR (status = 'running' AND lease_until < now())
            ORDER BY created_at, id LIMIT 1
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetGuid(1)) : null;
    }

    /// <summary>
    /// Claims <paramref name="jobId"/> for <paramref name="workerId"/> (status running, lease set) if it is
    /// still trainable: the job the pool memory was granted for, not whichever is oldest by now.
    /// </summary>
    public async Task<(string Id, Guid TenantId)?> ClaimTrainableAsync(string jobId, string workerId, int leaseSeconds, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE finetune.jobs SET status = 'running', worker_id = $1, lease_until = now() + make_interval(secs => $2),
                started_at = coalesce(started_at, now())
            WHERE id = (SELECT id FROM finetune.jobs
                        WHERE id = $3 AND (status = 'queued' OR (status = 'running' AND lease_until < now()))
                        FOR UPDATE SKIP LOCKED)
            RETURNING id, tenant_id
            """);
        cmd.Parameters.Add(new() { Value = workerId });
        cmd.Parameters.Add(new() { Value = leaseSeconds });
        cmd.Parameters.Add(new() { Value = jobId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetGuid(1)) : null;
    }

    /// <summary>Whether <paramref name="jobId"/> still waits for training (queued, or running under a lapsed lease).</summary>
    public async Task<bool> IsTrainableAsync(string jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT 1 FROM finetune.jobs WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND lease_until < now()))
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Whether another worker than <paramref name="workerId"/> trains <paramref name="jobId"/> under a live lease.</summary>
    public async Task<bool> IsHeldByAnotherAsync(string jobId, string workerId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT 1 FROM finetune.jobs WHERE id = $1 AND status = 'running' AND worker_id <> $2 AND lease_until >= now()
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = workerId });
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>queued → failed (the pool can never run it); false when the job is no longer queued.</summary>
    public async Task<bool> FailQueuedAsync(Guid tenantId, string jobId, string code, string message, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            UPDATE finetune.jobs SET status = 'failed', error_code = $2, error_message = $3, finished_at = now()
            WHERE id = $1 AND status = 'queued'
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = code });
        cmd.Parameters.Add(new() { Value = message });
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
        {
            return false;
        }
        await JobStore.AddEventAsync(scope, jobId, "error", "message", "Fine-tuning job failed: " + message, new { code }, ct);
        await scope.CommitAsync(ct);
        return true;
    }

    /// <summary>Claims the oldest job whose files await validation.</summary>
    public Task<(string Id, Guid TenantId)?> ClaimValidationAsync(string workerId, int leaseSeconds, CancellationToken ct) => ClaimAsync("""
        UPDATE finetune.jobs SET worker_id = $1, lease_until = now() + make_interval(secs => $2)
        WHERE id = (SELECT id FROM finetune.jobs
                    WHERE status = 'validating_files' AND (lease_until IS NULL OR lease_until < now())
                    ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, tenant_id
        """, workerId, leaseSeconds, ct);

    /// <summary>validating_files → queued with the job's training-token estimate.</summary>
    public Task<bool> MarkQueuedAsync(Guid tenantId, string jobId, string workerId, long estimatedTokens, string message, CancellationToken ct) =>
        TransitionAsync(tenantId, jobId, workerId, JobStatus.ValidatingFiles, """
            status = 'queued', estimated_tokens = $4, worker_id = NULL, lease_until = NULL
            """, estimatedTokens, null, ("info", message), ct);

    /// <summary>Fails a job this worker holds (validating or running).</summary>
    public async Task<bool> FailAsync(Guid tenantId, string jobId, string workerId, string code, string message, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            UPDATE finetune.jobs SET status = 'failed', error_code = $3, error_message = $4, finished_at = now(),
                worker_id = NULL, lease_until = NULL
            WHERE id = $1 AND worker_id = $2 AND status IN ('validating_files', 'running')
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = workerId });
        cmd.Parameters.Add(new() { Value = code });
        cmd.Parameters.Add(new() { Value = message });
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
        {
            return false;
        }
        await JobStore.AddEventAsync(scope, jobId, "error", "message", "Fine-tuning job failed: " + message, new { code }, ct);
        await scope.CommitAsync(ct);
        return true;
    }

    /// <summary>Extends the lease and records progress; false when the job is no longer this worker's running job (cancelled, taken over).</summary>
    public async Task<bool> RenewAsync(Guid tenantId, string jobId, string workerId, int leaseSeconds, long trainedTokens, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            UPDATE finetune.jobs SET lease_until = now() + make_interval(secs => $3), trained_tokens = $4
            WHERE id = $1 AND worker_id = $2 AND status = 'running'
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = workerId });
        cmd.Parameters.Add(new() { Value = leaseSeconds });
        cmd.Parameters.Add(new() { Value = trainedTokens });
        var mine = await cmd.ExecuteNonQueryAsync(ct) == 1;
        await scope.CommitAsync(ct);
        return mine;
    }

    /// <summary>running → queued (worker stopping or preempted); the next claim resumes from the last checkpoint.</summary>
    public Task<bool> RequeueAsync(Guid tenantId, string jobId, string workerId, string message, CancellationToken ct) =>
        TransitionAsync(tenantId, jobId, workerId, JobStatus.Running, "status = 'queued', worker_id = NULL, lease_until = NULL",
            null, null, ("warn", message), ct);

    /// <summary>running → succeeded with the registered adapter name.</summary>
    public Task<bool> SucceedAsync(Guid tenantId, string jobId, string workerId, string fineTunedModel, long trainedTokens, CancellationToken ct) =>
        TransitionAsync(tenantId, jobId, workerId, JobStatus.Running, """
            status = 'succeeded', fine_tuned_model = $5, trained_tokens = $4, finished_at = now(), worker_id = NULL, lease_until = NULL
            """, trainedTokens, fineTunedModel, ("info", $"New fine-tuned model created: {fineTunedModel}. The job has successfully completed."), ct);

    /// <summary>Records a checkpoint (row + event) while the job is still this worker's.</summary>
    public async Task<bool> AddCheckpointAsync(Guid tenantId, string jobId, string workerId, int step, string path, object metrics,
        CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        if (!await HoldsAsync(scope, jobId, workerId, ct))
        {
            return false;
        }
        await using var cmd = scope.CreateCommand("""
            INSERT INTO finetune.job_checkpoints (id, tenant_id, job_id, step, path, metrics) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (job_id, step) DO UPDATE SET path = excluded.path, metrics = excluded.metrics, created_at = now()
            """);
        cmd.Parameters.Add(new() { Value = "ftckpt-" + Guid.CreateVersion7().ToString("N") });
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = step });
        cmd.Parameters.Add(new() { Value = path });
        cmd.Parameters.Add(new() { Value = System.Text.Json.JsonSerializer.Serialize(metrics, JobStore.Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync(ct);
        await JobStore.AddEventAsync(scope, jobId, "info", "message", $"Checkpoint saved at step {step}.", new { step }, ct);
        await scope.CommitAsync(ct);
        return true;
    }

    /// <summary>The newest checkpoint of a job: (step, folder).</summary>
    public async Task<(int Step, string Path)?> LatestCheckpointAsync(Guid tenantId, string jobId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("SELECT step, path FROM finetune.job_checkpoints WHERE job_id = $1 ORDER BY step DESC LIMIT 1");
        cmd.Parameters.Add(new() { Value = jobId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.GetString(1)) : null;
    }

    private async Task<(string Id, Guid TenantId)?> ClaimAsync(string sql, string workerId, int leaseSeconds, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = workerId });
        cmd.Parameters.Add(new() { Value = leaseSeconds });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetGuid(1)) : null;
    }

    private static async Task<bool> HoldsAsync(TenantScope scope, string jobId, string workerId, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("SELECT 1 FROM finetune.jobs WHERE id = $1 AND worker_id = $2 AND status = 'running' FOR UPDATE");
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = workerId });
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    private async Task<bool> TransitionAsync(Guid tenantId, string jobId, string workerId, string from, string set,
        long? number, string? text, (string Level, string Message) @event, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"UPDATE finetune.jobs SET {set} WHERE id = $1 AND worker_id = $2 AND status = $3");
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = workerId });
        cmd.Parameters.Add(new() { Value = from });
        cmd.Parameters.Add(new() { Value = number ?? 0L });
        cmd.Parameters.Add(new() { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
        {
            return false;
        }
        await JobStore.AddEventAsync(scope, jobId, @event.Level, "message", @event.Message, null, ct);
        await scope.CommitAsync(ct);
        return true;
    }
}
