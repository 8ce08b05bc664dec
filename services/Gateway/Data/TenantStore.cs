using Npgsql;
using Platform.Contracts;
using Platform.Data;
using Platform.Services.Gateway.Security;

namespace Platform.Services.Gateway.Data;

/// <summary>
/// Tenants, users and API keys in the gateway schema. Per-tenant reads and writes run in a <see cref="TenantScope"/>
/// (row-level security). Every change that affects a cached key (revoke, rotate, plan) is published to all gateway replicas.
/// </summary>
public sealed class TenantStore(NpgsqlDataSource db, KeyInvalidationBus invalidations)
{
    public async Task<TenantResponse?> CreateTenantAsync(string name, string tier, string plan, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO gateway.tenants (id, name, tier, plan) VALUES ($1, $2, $3, $4)
            ON CONFLICT DO NOTHING
            RETURNING id, name, tier, plan, created_at
            """);
        cmd.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        cmd.Parameters.Add(new() { Value = name });
        cmd.Parameters.Add(new() { Value = tier });
        cmd.Parameters.Add(new() { Value = plan });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadTenant(reader) : null;
    }

    public async Task<IReadOnlyList<TenantResponse>> ListTenantsAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT id, name, tier, plan, created_at FROM gateway.tenants ORDER BY created_at");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var tenants = new List<TenantResponse>();
        while (await reader.ReadAsync(ct))
        {
            tenants.Add(ReadTenant(reader));
        }
        return tenants;
    }

    public async Task<TenantResponse?> GetTenantAsync(Guid tenantId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("SELECT id, name, tier, plan, created_at FROM gateway.tenants");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadTenant(reader) : null;
    }

    /// <summary>Null when the email is taken (emails are unique across tenants: they are sign-in names).</summary>
    public async Task<UserResponse?> CreateUserAsync(Guid tenantId, string email, string passwordHash, string role, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("""
            INSERT INTO gateway.users (id, tenant_id, email, password_hash, role) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            RETURNING id, tenant_id, email, role, created_at
            """);
        cmd.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = email });
        cmd.Parameters.Add(new() { Value = passwordHash });
        cmd.Parameters.Add(new() { Value = role });
        UserResponse? user = null;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                user = new UserResponse(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4));
            }
        }
        await scope.CommitAsync(ct);
        return user;
    }

    public Task<ApiKeyResponse> CreateKeyAsync(Guid tenantId, string id, string name, byte[] secretHash, IReadOnlyList<string> scopes,
        DateTimeOffset? expiresAt, CancellationToken ct) =>
        CreateKeyAsync(tenantId, new NewKey(id, name, secretHash, scopes, expiresAt, null, null, null), ct);

    public async Task<ApiKeyResponse> CreateKeyAsync(Guid tenantId, NewKey key, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        var created = await InsertKeyAsync(scope, key, ct);
        await scope.CommitAsync(ct);
        return created;
    }

    /// <summary>Null when the tenant has no such unrevoked key. The old key is revoked in the same transaction.</summary>
    public async Task<ApiKeyResponse?> RotateKeyAsync(Guid tenantId, string oldKeyId, string newKeyId, byte[] secretHash, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        NewKey? replacement = null;
        await using (var cmd = scope.CreateCommand("""
            UPDATE gateway.api_keys SET revoked_at = now(), rotated_to = $2 WHERE id = $1 AND revoked_at IS NULL
            RETURNING name, scopes, expires_at, requests_per_minute, tokens_per_minute, max_concurrent
            """))
        {
            cmd.Parameters.Add(new() { Value = oldKeyId });
            cmd.Parameters.Add(new() { Value = newKeyId });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                replacement = new NewKey(newKeyId, r.GetString(0), secretHash, r.GetFieldValue<string[]>(1),
                    r.IsDBNull(2) ? null : r.GetFieldValue<DateTimeOffset>(2),
                    r.IsDBNull(3) ? null : r.GetInt32(3), r.IsDBNull(4) ? null : r.GetInt32(4), r.IsDBNull(5) ? null : r.GetInt32(5));
            }
        }
        if (replacement is null)
        {
            return null;
        }
        var created = await InsertKeyAsync(scope, replacement, ct);
        await scope.CommitAsync(ct);
        await invalidations.PublishAsync(oldKeyId);
        return created;
    }

    public async Task<TenantResponse?> ChangePlanAsync(Guid tenantId, string plan, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("UPDATE gateway.tenants SET plan = $1 RETURNING id, name, tier, plan, created_at");
        cmd.Parameters.Add(new() { Value = plan });
        TenantResponse? tenant = null;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                tenant = ReadTenant(reader);
            }
        }
        await scope.CommitAsync(ct);
        // Cached keys carry their tenant's plan.
        await invalidations.PublishAllAsync();
        return tenant;
    }

    private static async Task<ApiKeyResponse> InsertKeyAsync(TenantScope scope, NewKey key, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand($"""
            INSERT INTO gateway.api_keys (id, tenant_id, name, secret_hash, scopes, expires_at, requests_per_minute, tokens_per_minute, max_concurrent)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING {KeyColumns}
            """);
        cmd.Parameters.Add(new() { Value = key.Id });
        cmd.Parameters.Add(new() { Value = scope.TenantId });
        cmd.Parameters.Add(new() { Value = key.Name });
        cmd.Parameters.Add(new() { Value = key.SecretHash });
        cmd.Parameters.Add(new() { Value = key.Scopes.ToArray() });
        cmd.Parameters.Add(new() { Value = (object?)key.ExpiresAt ?? DBNull.Value });
        cmd.Parameters.Add(new() { Value = (object?)key.RequestsPerMinute ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = (object?)key.TokensPerMinute ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = (object?)key.MaxConcurrent ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return ReadKey(reader);
    }

    public async Task<IReadOnlyList<ApiKeyResponse>> ListKeysAsync(Guid tenantId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"SELECT {KeyColumns} FROM gateway.api_keys ORDER BY created_at");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var keys = new List<ApiKeyResponse>();
        while (await reader.ReadAsync(ct))
        {
            keys.Add(ReadKey(reader));
        }
        return keys;
    }

    /// <summary>False when the tenant has no such key.</summary>
    public async Task<bool> RevokeKeyAsync(Guid tenantId, string keyId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("UPDATE gateway.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1");
        cmd.Parameters.Add(new() { Value = keyId });
        var found = await cmd.ExecuteNonQueryAsync(ct) == 1;
        await scope.CommitAsync(ct);
        if (found)
        {
            await invalidations.PublishAsync(keyId);
        }
        return found;
    }

    public sealed record NewKey(string Id, string Name, byte[] SecretHash, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt,
        int? RequestsPerMinute, int? TokensPerMinute, int? MaxConcurrent);

    private const string KeyColumns = "id, name, scopes, created_at, last_used_at, expires_at, revoked_at";

    private static TenantResponse ReadTenant(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4));

    private static ApiKeyResponse ReadKey(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetFieldValue<string[]>(2), r.GetFieldValue<DateTimeOffset>(3),
        r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5),
        r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6));
}
