using Npgsql;
using Platform.Data;
using Platform.Data.Migrations;
using Platform.TestKit;

namespace Platform.Foundation.Tests.Data;

public sealed class RowLevelSecurityTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private static readonly Guid TenantA = Guid.NewGuid();
    private static readonly Guid TenantB = Guid.NewGuid();
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _db = postgres.CreateDataSource();
        await Migrator.ApplyAsync(_db, "gateway");
        await using var batch = _db.CreateBatch();
        batch.BatchCommands.Add(new("INSERT INTO gateway.tenants (id, name, tier) VALUES ($1, 'A', 'enterprise'), ($2, 'B', 'consumer') ON CONFLICT DO NOTHING")
        {
            Parameters = { new() { Value = TenantA }, new() { Value = TenantB } },
        });
        batch.BatchCommands.Add(new("""
            INSERT INTO gateway.api_keys (id, tenant_id, name, secret_hash, scopes)
            VALUES ('a1-' || $1::text, $1, 'a-key', '\x00', '{inference}'), ('b1-' || $2::text, $2, 'b-key', '\x00', '{inference}')
            ON CONFLICT DO NOTHING
            """)
        {
            Parameters = { new() { Value = TenantA }, new() { Value = TenantB } },
        });
        await batch.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Select_without_where_sees_only_the_scoped_tenant()
    {
        await using var scope = await TenantScope.BeginAsync(_db, TenantA);
        await using var cmd = scope.CreateCommand("SELECT tenant_id FROM gateway.api_keys");
        var tenants = new List<Guid>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tenants.Add(reader.GetGuid(0));
            }
        }
        Assert.NotEmpty(tenants);
        Assert.All(tenants, t => Assert.Equal(TenantA, t));
    }

    [Fact]
    public async Task Update_and_delete_without_where_touch_only_the_scoped_tenant()
    {
        await using (var scope = await TenantScope.BeginAsync(_db, TenantA))
        {
            await using var update = scope.CreateCommand("UPDATE gateway.api_keys SET name = 'renamed by A'");
            await update.ExecuteNonQueryAsync();
            await using var delete = scope.CreateCommand("DELETE FROM gateway.users");
            await delete.ExecuteNonQueryAsync();
            await scope.CommitAsync();
        }
        await using var check = _db.CreateCommand("SELECT name FROM gateway.api_keys WHERE tenant_id = $1");
        check.Parameters.Add(new() { Value = TenantB });
        Assert.Equal("b-key", await check.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Insert_for_another_tenant_is_refused_by_the_database()
    {
        await using var scope = await TenantScope.BeginAsync(_db, TenantA);
        await using var insert = scope.CreateCommand(
            "INSERT INTO gateway.api_keys (id, tenant_id, name, secret_hash, scopes) VALUES ('sneaky', $1, 'x', '\\x00', '{admin}')");
        insert.Parameters.Add(new() { Value = TenantB });
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task Reading_another_tenants_row_by_id_finds_nothing()
    {
        await using var scope = await TenantScope.BeginAsync(_db, TenantA);
        await using var cmd = scope.CreateCommand("SELECT count(*) FROM gateway.tenants WHERE id = $1");
        cmd.Parameters.Add(new() { Value = TenantB });
        Assert.Equal(0L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_scope_does_not_leak_into_the_next_use_of_the_pooled_connection()
    {
        await using (var scope = await TenantScope.BeginAsync(_db, TenantA))
        {
            await scope.CommitAsync();
        }
        await using var cmd = _db.CreateCommand("SELECT current_user, coalesce(current_setting('app.tenant_id', true), '')");
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.NotEqual(Roles.Tenant, reader.GetString(0));
        Assert.Equal("", reader.GetString(1));
    }
}
