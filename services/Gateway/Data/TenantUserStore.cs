using Npgsql;
using Platform.Contracts;
using Platform.Data;

namespace Platform.Services.Gateway.Data;

/// <summary>
/// A tenant admin's changes to their own tenant's users, in the tenant's <see cref="TenantScope"/>
/// (row-level security: another tenant's user is not found). The tenant's enabled tenant_admin rows
/// are locked (<c>FOR UPDATE</c>) before a change that could remove one, so two admins demoting each
/// other at once cannot leave the tenant without one.
/// </summary>
public sealed class TenantUserStore(NpgsqlDataSource db)
{
    public enum Outcome { Done, NotFound, PlatformAdmin, LastAdmin }

    /// <summary>Changes role and/or disabled state; refuses to touch a platform_admin or to remove the last enabled tenant_admin.</summary>
    public async Task<(Outcome Outcome, UserStore.UserRow? User)> UpdateAsync(Guid tenantId, Guid userId, string? role, bool? disabled, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        var (current, admins) = await LockAsync(scope, userId, ct);
        if (current is null)
        {
            return (Outcome.NotFound, null);
        }
        if (current.Role == UserRoles.PlatformAdmin)
        {
            return (Outcome.PlatformAdmin, current);
        }
        var willBeDisabled = disabled ?? current.DisabledAt is not null;
        var stillAdmin = (role ?? current.Role) == UserRoles.TenantAdmin && !willBeDisabled;
        if (IsEnabledAdmin(current) && !stillAdmin && admins <= 1)
        {
            return (Outcome.LastAdmin, current);
        }
        var user = await UserStore.UpdateInScopeAsync(scope, userId, role, disabled, ct);
        await scope.CommitAsync(ct);
        return (Outcome.Done, user);
    }

    /// <summary>Deletes the user; refuses a platform_admin and the last enabled tenant_admin.</summary>
    public async Task<(Outcome Outcome, UserStore.UserRow? User)> DeleteAsync(Guid tenantId, Guid userId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(db, tenantId, ct);
        var (current, admins) = await LockAsync(scope, userId, ct);
        if (current is null)
        {
            return (Outcome.NotFound, null);
        }
        if (current.Role == UserRoles.PlatformAdmin)
        {
            return (Outcome.PlatformAdmin, current);
        }
        if (IsEnabledAdmin(current) && admins <= 1)
        {
            return (Outcome.LastAdmin, current);
        }
        await using var cmd = scope.CreateCommand("DELETE FROM gateway.users WHERE id = $1");
        cmd.Parameters.Add(new() { Value = userId });
        await cmd.ExecuteNonQueryAsync(ct);
        await scope.CommitAsync(ct);
        return (Outcome.Done, current);
    }

    /// <summary>Locks the tenant's enabled tenant_admins and the target; returns the target and how many enabled admins there are.</summary>
    private static async Task<(UserStore.UserRow? User, int Admins)> LockAsync(TenantScope scope, Guid userId, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand($"""
            SELECT {UserStore.Columns} FROM gateway.users
            WHERE id = $1 OR (role = 'tenant_admin' AND disabled_at IS NULL)
            ORDER BY id
            FOR UPDATE
            """);
        cmd.Parameters.Add(new() { Value = userId });
        UserStore.UserRow? user = null;
        var admins = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = UserStore.Read(reader);
            admins += IsEnabledAdmin(row) ? 1 : 0;
            user = row.Id == userId ? row : user;
        }
        return (user, admins);
    }

    private static bool IsEnabledAdmin(UserStore.UserRow row) => row.Role == UserRoles.TenantAdmin && row.DisabledAt is null;
}
