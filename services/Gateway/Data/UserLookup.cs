using Npgsql;
using Platform.Contracts;

namespace Platform.Services.Gateway.Data;

/// <summary>
/// Lookups that run before the tenant is known: sign-in by email and the admin API's user by id. They
/// are the one place that reads users outside a <see cref="Platform.Data.TenantScope"/>; they return
/// only the matched row.
/// </summary>
public sealed class UserLookup(NpgsqlDataSource db)
{
    public sealed record Found(SessionUser User, string PasswordHash);

    /// <summary>The user who may sign in with this email; null when unknown or disabled.</summary>
    public async Task<Found?> FindByEmailAsync(string email, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT u.id, u.email, u.role, u.tenant_id, t.name, t.tier, u.password_hash
            FROM gateway.users u JOIN gateway.tenants t ON t.id = u.tenant_id
            WHERE lower(u.email) = lower($1) AND u.disabled_at IS NULL
            """);
        cmd.Parameters.Add(new() { Value = email });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        return new Found(new SessionUser(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetGuid(3), r.GetString(4), r.GetString(5)), r.GetString(6));
    }

    /// <summary>The tenant a user belongs to (primary-key read); null for an unknown id.</summary>
    public async Task<Guid?> FindTenantOfAsync(Guid userId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT tenant_id FROM gateway.users WHERE id = $1");
        cmd.Parameters.Add(new() { Value = userId });
        return await cmd.ExecuteScalarAsync(ct) is Guid tenantId ? tenantId : null;
    }
}
