using System.Text.Json.Serialization;
using Platform.Contracts;
using Npgsql;
using NpgsqlTypes;
using Platform.Data;
using Platform.Services.Gateway.Metering;

namespace Platform.Services.Gateway.Data;

/// <summary>gateway.usage: batched, idempotent inserts (request_id is the key) and the portal's aggregates.</summary>
public sealed class UsageStore(NpgsqlDataSource db)
{
    /// <summary>Writes one tenant's records and stamps its keys' last_used_at; a record already written is skipped.</summary>
    public async Task InsertAsync(Guid tenantId, IReadOnlyList<UsageRecord> records, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using (var cmd = scope.CreateCommand("""
            INSERT INTO gateway.usage (request_id, tenant_id, key_id, route, model, status, prompt_tokens, completion_tokens, usage_source, latency_ms, created_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::text[], $10::float8[], $11::timestamptz[])
            ON CONFLICT (request_id) DO NOTHING
            """))
        {
            cmd.Parameters.Add(new() { Value = records.Select(r => r.RequestId).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.TenantId).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.KeyId).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.Route).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.Model).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.Status).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.PromptTokens).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.CompletionTokens).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.Source).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.LatencyMs).ToArray() });
            cmd.Parameters.Add(new() { Value = records.Select(r => r.CreatedAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await using (var touch = scope.CreateCommand("""
            UPDATE gateway.api_keys k SET last_used_at = greatest(k.last_used_at, u.at)
            FROM (SELECT key_id, max(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS x(key_id, at) GROUP BY key_id) u
            WHERE k.id = u.key_id
            """))
        {
            touch.Parameters.Add(new() { Value = records.Select(r => r.KeyId).ToArray() });
            touch.Parameters.Add(new() { Value = records.Select(r => r.CreatedAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            await touch.ExecuteNonQueryAsync(ct);
        }
        await scope.CommitAsync(ct);
    }

    /// <summary>Totals per day, model and key for one tenant in [from, to).</summary>
    public async Task<IReadOnlyList<UsageRow>> AggregateAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            SELECT (date_trunc('day', created_at AT TIME ZONE 'UTC'))::date, model, key_id,
                   count(*), sum(prompt_tokens), sum(completion_tokens), count(*) FILTER (WHERE status >= 400)
            FROM gateway.usage
            WHERE created_at >= $1 AND created_at < $2
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """);
        cmd.Parameters.Add(new() { Value = from });
        cmd.Parameters.Add(new() { Value = to });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<UsageRow>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new UsageRow(r.GetFieldValue<DateOnly>(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6)));
        }
        return rows;
    }
    /// <summary>Per key in [from, to): requests, 429s, other errors and latency percentiles (ms).</summary>
    public async Task<IReadOnlyList<KeyUsageStats>> KeyStatsAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            SELECT key_id, count(*), count(*) FILTER (WHERE status = 429), count(*) FILTER (WHERE status >= 400 AND status <> 429),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
            FROM gateway.usage
            WHERE created_at >= $1 AND created_at < $2
            GROUP BY 1 ORDER BY 2 DESC, 1
            """);
        cmd.Parameters.Add(new() { Value = from });
        cmd.Parameters.Add(new() { Value = to });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<KeyUsageStats>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new KeyUsageStats(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetDouble(4), r.GetDouble(5)));
        }
        return rows;
    }

    /// <summary>Latency percentiles (ms) per day (UTC) in [from, to) over the requests the gateway admitted (429s excluded: they never reach a service).</summary>
    public async Task<IReadOnlyList<DailyLatency>> LatencyByDayAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            SELECT (date_trunc('day', created_at AT TIME ZONE 'UTC'))::date, count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
            FROM gateway.usage
            WHERE created_at >= $1 AND created_at < $2 AND status <> 429
            GROUP BY 1 ORDER BY 1
            """);
        cmd.Parameters.Add(new() { Value = from });
        cmd.Parameters.Add(new() { Value = to });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<DailyLatency>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new DailyLatency(r.GetFieldValue<DateOnly>(0), r.GetInt64(1), r.GetDouble(2), r.GetDouble(3)));
        }
        return rows;
    }
}

/// <summary>One key's (or portal user's) requests in the range: all, refused with 429, other errors; latency in ms.</summary>
public sealed record KeyUsageStats(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("rate_limited")] long RateLimited,
    [property: JsonPropertyName("errors")] long Errors,
    [property: JsonPropertyName("latency_p50_ms")] double LatencyP50Ms,
    [property: JsonPropertyName("latency_p95_ms")] double LatencyP95Ms);

/// <summary>Latency percentiles (ms) of one UTC day's admitted requests.</summary>
public sealed record DailyLatency(
    [property: JsonPropertyName("day")] DateOnly Day,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p95_ms")] double P95Ms);
