using Npgsql;
using Platform.Services.Gateway.Policy;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Data;

/// <summary>
/// Finds a key by its public id, with its tenant's tier and plan. This is the one read that cannot be
/// tenant-scoped: the tenant is what the key is about to tell us. It selects by primary key only,
/// and the caller verifies the secret before trusting the row.
/// </summary>
public sealed class KeyLookup(NpgsqlDataSource db)
{
    public async Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT k.tenant_id, t.tier, k.secret_hash, k.scopes, k.expires_at, k.revoked_at,
                   k.requests_per_minute, k.tokens_per_minute, k.max_concurrent,
                   coalesce(p.name, d.name), coalesce(p.requests_per_minute, d.requests_per_minute),
                   coalesce(p.tokens_per_minute, d.tokens_per_minute), coalesce(p.max_concurrent, d.max_concurrent),
                   coalesce(p.max_sessions, d.max_sessions), coalesce(p.session_idle_seconds, d.session_idle_seconds),
                   coalesce(p.queue_weight, d.queue_weight)
            FROM gateway.api_keys k
            JOIN gateway.tenants t ON t.id = k.tenant_id
            LEFT JOIN gateway.plans p ON p.name = t.plan
            JOIN gateway.plans d ON d.name = 'default'
            WHERE k.id = $1
            """);
        cmd.Parameters.Add(new() { Value = keyId });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        var plan = new PlanLimits(r.GetString(9), r.GetInt32(10), r.GetInt32(11), r.GetInt32(12), r.GetInt32(13), r.GetInt32(14), r.GetInt32(15));
        return new ApiKeyRecord(
            keyId, r.GetGuid(0), r.GetString(1), r.GetFieldValue<byte[]>(2), r.GetFieldValue<string[]>(3),
            r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5),
            plan,
            KeyLimits.Narrow(plan, NullableInt(r, 6), NullableInt(r, 7), NullableInt(r, 8)));
    }

    /// <summary>A tenant's tier and plan (for portal sessions, which have no key row).</summary>
    public async Task<(string Tier, PlanLimits Plan)?> FindTenantAsync(Guid tenantId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT t.tier, coalesce(p.name, d.name), coalesce(p.requests_per_minute, d.requests_per_minute),
                   coalesce(p.tokens_per_minute, d.tokens_per_minute), coalesce(p.max_concurrent, d.max_concurrent),
                   coalesce(p.max_sessions, d.max_sessions), coalesce(p.session_idle_seconds, d.session_idle_seconds),
                   coalesce(p.queue_weight, d.queue_weight)
            FROM gateway.tenants t
            LEFT JOIN gateway.plans p ON p.name = t.plan
            JOIN gateway.plans d ON d.name = 'default'
            WHERE t.id = $1
            """);
        cmd.Parameters.Add(new() { Value = tenantId });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        return (r.GetString(0), new PlanLimits(r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6), r.GetInt32(7)));
    }

    private static int? NullableInt(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
}
