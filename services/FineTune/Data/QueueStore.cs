using Npgsql;

namespace Platform.Services.FineTune.Data;

/// <summary>One unfinished job as the queue estimate sees it: no tenant data beyond sizes and order.</summary>
public sealed record ActiveJob(string Id, string Model, string Status, long EstimatedTokens, long TrainedTokens, DateTimeOffset CreatedAt);

/// <summary>
/// Reads across tenants for the queue estimate, as the service's own role (like the worker's claims): only
/// ids, models, sizes and order of unfinished jobs, and sums over finished ones. Nothing here reaches a caller
/// except as a number of seconds or jobs.
/// </summary>
public sealed class QueueStore(NpgsqlDataSource db)
{
    /// <summary>Every validating, queued or running job, in queue order.</summary>
    public async Task<IReadOnlyList<ActiveJob>> ActiveJobsAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT id, model, status, estimated_tokens, trained_tokens, created_at FROM finetune.jobs
            WHERE status IN ('validating_files', 'queued', 'running') ORDER BY created_at, id
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var jobs = new List<ActiveJob>();
        while (await reader.ReadAsync(ct))
        {
            jobs.Add(new ActiveJob(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }
        return jobs;
    }

    /// <summary>Per base model: training tokens per second of wall time (first start to finish) over jobs that succeeded in the last <paramref name="days"/> days.</summary>
    public async Task<IReadOnlyDictionary<string, double>> ThroughputAsync(int days, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT model, sum(trained_tokens)::float8 / sum(extract(epoch FROM finished_at - started_at))::float8
            FROM finetune.jobs
            WHERE status = 'succeeded' AND started_at IS NOT NULL AND finished_at > now() - make_interval(days => $1)
            GROUP BY model HAVING sum(extract(epoch FROM finished_at - started_at)) > 0 AND sum(trained_tokens) > 0
            """);
        cmd.Parameters.Add(new() { Value = days });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var throughput = new Dictionary<string, double>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            throughput[reader.GetString(0)] = reader.GetDouble(1);
        }
        return throughput;
    }
}
