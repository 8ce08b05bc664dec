using Npgsql;

namespace Platform.Data;

/// <summary>
/// A connection and transaction in which row-level security confines every statement to one tenant.
/// The transaction switches to the non-privileged role <see cref="Roles.Tenant"/> (superusers and
/// table owners would bypass RLS) and sets <c>app.tenant_id</c>; both are transaction-local, so the
/// connection returns to the pool clean. Dispose without <see cref="CommitAsync"/> rolls back.
/// </summary>
public sealed class TenantScope : IAsyncDisposable
{
    private TenantScope(Guid tenantId, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        TenantId = tenantId;
        Connection = connection;
        Transaction = transaction;
    }

    public Guid TenantId { get; }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    public static async Task<TenantScope> BeginAsync(NpgsqlDataSource dataSource, Guid tenantId, CancellationToken cancellationToken = default)
    {
        if (tenantId == Guid.Empty)
        {
            throw new ArgumentException("A tenant scope needs a tenant id.", nameof(tenantId));
        }
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var cmd = new NpgsqlCommand(
                $"SET LOCAL ROLE {Roles.Tenant}; SELECT set_config('app.tenant_id', @tenant, true)", connection, transaction))
            {
                cmd.Parameters.AddWithValue("tenant", tenantId.ToString());
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
            return new TenantScope(tenantId, connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public NpgsqlCommand CreateCommand(string sql) => new(sql, Connection, Transaction);

    public Task CommitAsync(CancellationToken cancellationToken = default) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
