using Npgsql;
using Platform.Data;

namespace Platform.Ingestion.Pipeline;

/// <summary>A job a worker has claimed; <see cref="LockToken"/> proves it still holds the lease.</summary>
public sealed record ClaimedJob(Guid Id, Guid TenantId, Guid DocumentId, int Attempt, int MaxAttempts, string LockToken);

/// <summary>A job that ran out of attempts while its worker was gone.</summary>
public sealed record AbandonedJob(Guid Id, Guid TenantId, Guid KnowledgeBaseId, Guid DocumentId, int Attempts);

/// <summary>
/// The ingestion job queue in PostgreSQL. Claiming is cross-tenant work done as the service's own
/// role (FOR UPDATE SKIP LOCKED, so concurrent workers never take the same job); everything a job
/// then reads or writes happens in its tenant's <see cref="TenantScope"/>. A claim is a lease:
/// the worker renews <c>locked_until</c> while it works, and a job whose lease lapsed (its worker
/// died) is claimed again. Every statement is short, because the embedded database serialises
/// transactions across connections.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>Queues a job for a document inside the caller's tenant transaction.</summary>
    public static async Task EnqueueAsync(TenantScope scope, Guid documentId, int maxAttempts, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("""
            INSERT INTO ingestion.jobs (id, tenant_id, document_id, status, max_attempts)
            VALUES (@id, @tenant, @doc, 'queued', @max)
            """);
        cmd.Parameters.AddWithValue("id", Guid.CreateVersion7());
        cmd.Parameters.AddWithValue("tenant", scope.TenantId);
        cmd.Parameters.AddWithValue("doc", documentId);
        cmd.Parameters.AddWithValue("max", maxAttempts);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Whether the document has a job that is queued or running.</summary>
    public static async Task<bool> HasPendingAsync(TenantScope scope, Guid documentId, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("SELECT EXISTS (SELECT 1 FROM ingestion.jobs WHERE document_id = @doc AND status IN ('queued', 'running'))");
        cmd.Parameters.AddWithValue("doc", documentId);
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>Claims the oldest runnable job (queued and due, or running with a lapsed lease), or null.</summary>
    public async Task<ClaimedJob?> ClaimAsync(string workerId, TimeSpan lease, CancellationToken ct)
    {
        var token = $"{workerId}:{Guid.NewGuid():N}";
        await using var cmd = dataSource.CreateCommand("""
            UPDATE ingestion.jobs j
               SET status = 'running', attempts = j.attempts + 1, locked_by = @token, locked_until = @now + @lease, updated_at = @now
             WHERE j.id = (SELECT id FROM ingestion.jobs
                            WHERE ((status = 'queued' AND run_after <= @now) OR (status = 'running' AND locked_until < @now))
                              AND attempts < max_attempts
                            ORDER BY run_after, id
                            LIMIT 1
                            FOR UPDATE SKIP LOCKED)
            RETURNING j.id, j.tenant_id, j.document_id, j.attempts, j.max_attempts
            """);
        cmd.Parameters.AddWithValue("token", token);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("lease", lease);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return new ClaimedJob(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3), reader.GetInt32(4), token);
    }

    /// <summary>Extends the lease; false when the job is no longer this worker's (deleted, or reclaimed after a lapse).</summary>
    public async Task<bool> RenewAsync(ClaimedJob job, TimeSpan lease, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE ingestion.jobs SET locked_until = @now + @lease WHERE id = @id AND locked_by = @token AND status = 'running'");
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("token", job.LockToken);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("lease", lease);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Marks the job finished inside the tenant transaction that commits its result; false when the lease was lost.</summary>
    public static async Task<bool> CompleteAsync(TenantScope scope, ClaimedJob job, string status, string? error, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("""
            UPDATE ingestion.jobs SET status = @status, last_error = @error, locked_by = NULL, locked_until = NULL, updated_at = now()
             WHERE id = @id AND locked_by = @token AND status = 'running'
            """);
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("token", job.LockToken);
        cmd.Parameters.AddWithValue("status", status);
        cmd.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Puts the job back in the queue to run at <paramref name="runAfter"/> (taken from the same clock as
    /// <see cref="ClaimAsync"/>, not the database's); false when the lease was lost.
    /// </summary>
    public static async Task<bool> RetryLaterAsync(TenantScope scope, ClaimedJob job, DateTimeOffset runAfter, string error, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand("""
            UPDATE ingestion.jobs SET status = 'queued', run_after = @runAfter, last_error = @error, locked_by = NULL, locked_until = NULL, updated_at = now()
             WHERE id = @id AND locked_by = @token AND status = 'running'
            """);
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("token", job.LockToken);
        cmd.Parameters.AddWithValue("runAfter", runAfter);
        cmd.Parameters.AddWithValue("error", error);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Dead-letters running jobs whose lease lapsed after their last allowed attempt (their worker
    /// kept dying) and fails their documents; returns them so the caller can publish events.
    /// </summary>
    public async Task<IReadOnlyList<AbandonedJob>> DeadLetterAbandonedAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH dead AS (
                UPDATE ingestion.jobs
                   SET status = 'dead', locked_by = NULL, locked_until = NULL, updated_at = @now,
                       last_error = 'The worker processing this document stopped ' || attempts || ' times; giving up.'
                 WHERE status = 'running' AND locked_until < @now AND attempts >= max_attempts
             RETURNING id, tenant_id, document_id, attempts, last_error)
            , failed AS (
                UPDATE ingestion.documents d SET status = 'failed', failure_reason = dead.last_error, updated_at = @now
                  FROM dead WHERE d.id = dead.document_id)
            SELECT dead.id, dead.tenant_id, d.knowledge_base_id, dead.document_id, dead.attempts
              FROM dead JOIN ingestion.documents d ON d.id = dead.document_id
            """);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        var list = new List<AbandonedJob>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new AbandonedJob(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetInt32(4)));
        }
        return list;
    }
}
