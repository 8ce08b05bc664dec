using Npgsql;
using Platform.Data;

namespace Platform.Services.Gateway.Data;

/// <summary>
/// The platform admin's view of users. Reads and writes of one tenant's users run in its
/// <see cref="TenantScope"/> (row-level security); only the all-tenants list reads unscoped.
/// </summary>
public sealed class UserStore(NpgsqlDataSource db)
{
    /// <summary>A user as the admin API sees it: never the password hash.</summary>
    public sealed record UserRow(Guid Id, Guid TenantId, string Email, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

    internal const string Columns = "id, tenant_id, email, role, created_at, disabled_at";

    /// <summary>Up to <paramref name="limit"/> users after <paramref name="after"/> in id (creation) order, of one tenant or of all.</summary>
    public async Task<IReadOnlyList<UserRow>> ListAsync(Guid? tenantId, Guid? after, int limit, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM gateway.users WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2";
        if (tenantId is { } tenant)
        {
            await using var scope = await TenantScope.BeginAsync(db, tenant, ct);
            await using var scoped = scope.CreateCommand(sql);
            return await ReadAllAsync(scoped, after, limit, ct);
        }
        // The platform admin's list across tenants: the one unscoped read of many users.
        await using var cmd = db.CreateCommand(sql);
        return await ReadAllAsync(cmd, after, limit, ct);
    }

    public async Task<UserRow?> GetAsync(Guid tenantId, Guid userId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand($"SELECT {Columns} FROM gateway.users WHERE id = $1");
        cmd.Parameters.Add(new() { Value = userId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Sets the role and/or the disabled state (null leaves it as is); null when the tenant has no such user.</summary>
    public async Task<UserRow?> UpdateAsync(Guid tenantId, Guid userId, string? role, bool? disabled, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        var user = await UpdateInScopeAsync(scope, userId, role, disabled, ct);
        await scope.CommitAsync(ct);
        return user;
    }

    /// <summary>Sets the role and/or the disabled state inside <paramref name="scope"/> (null leaves it as is); null when there is no such user.</summary>
    internal static async Task<UserRow?> UpdateInScopeAsync(TenantScope scope, Guid userId, string? role, bool? disabled, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand($"""
            UPDATE gateway.users SET
                role = coalesce($2, role),
                disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at
                                   WHEN $3 THEN coalesce(disabled_at, now())
                                   ELSE NULL END
            WHERE id = $1
            RETURNING {Columns}
            """);
        cmd.Parameters.Add(new() { Value = userId });
        cmd.Parameters.Add(new() { Value = (object?)role ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)disabled ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>The deleted user's email; null when the tenant has no such user.</summary>
    public async Task<string?> DeleteAsync(Guid tenantId, Guid userId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        await using var cmd = scope.CreateCommand("DELETE FROM gateway.users WHERE id = $1 RETURNING email");
        cmd.Parameters.Add(new() { Value = userId });
        var email = await cmd.ExecuteScalarAsync(ct) as string;
        await scope.CommitAsync(ct);
        return email;
    }

    private static async Task<IReadOnlyList<UserRow>> ReadAllAsync(NpgsqlCommand cmd, Guid? after, int limit, CancellationToken ct)
    {
        cmd.Parameters.Add(new() { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new() { Value = limit });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var users = new List<UserRow>();
        while (await reader.ReadAsync(ct))
        {
            users.Add(Read(reader));
        }
        return users;
    }

    internal static UserRow Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3),
        r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5));
}
