using Npgsql;
using Platform.Data;
using Platform.Data.Migrations;
using Platform.LocalInfra;
using Platform.TestKit;

namespace Platform.Foundation.Tests.Data;

public sealed class EmbeddedPostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_row_written_before_a_stop_is_there_after_a_restart()
    {
        var repo = RepoLayout.Find();
        var dataDir = Path.Combine(Path.GetTempPath(), "platform-pglite-" + Guid.NewGuid().ToString("N"));
        var log = Path.Combine(repo.StateDir, "test-logs", "pglite-restart.log");
        try
        {
            var marker = Guid.NewGuid().ToString();
            await using (var first = await EmbeddedPostgres.StartAsync(repo, Ports.GetFree(), dataDir, log, exitWithParent: true))
            {
                await using var db = PlatformDataSource.Create(first.ConnectionString, "tests");
                await using var cmd = db.CreateCommand("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('" + marker + "')");
                await cmd.ExecuteNonQueryAsync();
            }
            await using (var second = await EmbeddedPostgres.StartAsync(repo, Ports.GetFree(), dataDir, log, exitWithParent: true))
            {
                await using var db = PlatformDataSource.Create(second.ConnectionString, "tests");
                await using var cmd = db.CreateCommand("SELECT v FROM kept");
                Assert.Equal(marker, await cmd.ExecuteScalarAsync());
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_connection_idle_inside_a_transaction_is_closed_and_the_others_go_on()
    {
        var log = Path.Combine(RepoLayout.Find().StateDir, "test-logs", "pglite-idle.log");
        await using var server = await EmbeddedPostgres.StartAsync(RepoLayout.Find(), Ports.GetFree(), null, log, exitWithParent: true,
            idleInTransactionTimeout: TimeSpan.FromSeconds(1));
        await using var db = PlatformDataSource.Create(server.ConnectionString, "tests");
        await using var idle = await db.OpenConnectionAsync();
        await using var transaction = await idle.BeginTransactionAsync();
        await using (var first = new NpgsqlCommand("SELECT 1", idle, transaction))
        {
            await first.ExecuteScalarAsync();
        }

        // The open transaction owns PGlite's one backend: without the timeout this waits for ever.
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using (var other = db.CreateCommand("SELECT 2"))
        {
            Assert.Equal(2, await other.ExecuteScalarAsync(hang.Token));
        }
        await using var late = new NpgsqlCommand("SELECT 3", idle, transaction);
        Assert.ThrowsAny<NpgsqlException>(() => late.ExecuteScalar());
        Assert.Contains("idle-in-transaction timeout", await File.ReadAllTextAsync(log));
    }

    [Fact]
    public async Task A_port_in_use_is_reported_in_one_clear_sentence()
    {
        var error = await Assert.ThrowsAsync<InfraException>(() =>
            EmbeddedPostgres.StartAsync(RepoLayout.Find(), postgres.Server.Port, null, Path.GetTempFileName(), exitWithParent: true));
        Assert.Contains($"Port {postgres.Server.Port}", error.Message);
        Assert.Contains("already in use", error.Message);
    }

    [Fact]
    public async Task Concurrent_connections_with_tenant_scoped_transactions_do_not_interfere()
    {
        // PGlite is one backend shared by every connection: prove that interleaved extended-protocol
        // queries and transactions from many connections stay isolated, as the services rely on.
        await using var db = postgres.CreateDataSource();
        await using (var setup = db.CreateCommand("""
            CREATE TABLE IF NOT EXISTS public.concurrency (tenant_id uuid NOT NULL, n int NOT NULL);
            ALTER TABLE public.concurrency ENABLE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS p ON public.concurrency;
            CREATE POLICY p ON public.concurrency USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
              WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'platform_tenant') THEN CREATE ROLE platform_tenant NOLOGIN; END IF; END $$;
            GRANT SELECT, INSERT ON public.concurrency TO platform_tenant;
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var tenants = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToArray();
        const int rounds = 15;
        await Task.WhenAll(tenants.Select(tenant => Task.Run(async () =>
        {
            var committed = 0;
            for (var i = 0; i < rounds; i++)
            {
                await using var scope = await TenantScope.BeginAsync(db, tenant);
                await using (var insert = scope.CreateCommand("INSERT INTO public.concurrency (tenant_id, n) VALUES ($1, $2)"))
                {
                    insert.Parameters.Add(new() { Value = tenant });
                    insert.Parameters.Add(new() { Value = i });
                    await insert.ExecuteNonQueryAsync();
                }
                await using (var count = scope.CreateCommand("SELECT count(*), count(DISTINCT tenant_id) FROM public.concurrency"))
                await using (var reader = await count.ExecuteReaderAsync())
                {
                    await reader.ReadAsync();
                    Assert.Equal(committed + 1, reader.GetInt64(0));
                    Assert.Equal(1, reader.GetInt64(1));
                }
                if (i % 3 == 2)
                {
                    continue; // rolled back by dispose: must not be seen later
                }
                await scope.CommitAsync();
                committed++;
            }
        })));

        await using var total = db.CreateCommand("SELECT tenant_id, count(*) FROM public.concurrency GROUP BY tenant_id");
        await using var rows = await total.ExecuteReaderAsync();
        var counts = new Dictionary<Guid, long>();
        while (await rows.ReadAsync())
        {
            counts[rows.GetGuid(0)] = rows.GetInt64(1);
        }
        Assert.All(tenants, t => Assert.Equal(rounds - rounds / 3, counts[t]));
    }

    [Fact]
    public async Task Migrations_are_recorded_once_and_an_edited_migration_stops_startup()
    {
        await using var db = postgres.CreateDataSource();
        await Migrator.ApplyAsync(db, "gateway");
        Assert.Empty(await Migrator.ApplyAsync(db, "gateway"));

        string original;
        await using (var read = db.CreateCommand("SELECT checksum FROM gateway.schema_migrations WHERE version = 1"))
        {
            original = (string)(await read.ExecuteScalarAsync())!;
        }
        await using (var tamper = db.CreateCommand("UPDATE gateway.schema_migrations SET checksum = 'edited' WHERE version = 1"))
        {
            await tamper.ExecuteNonQueryAsync();
        }
        try
        {
            var error = await Assert.ThrowsAsync<MigrationException>(() => Migrator.ApplyAsync(db, "gateway"));
            Assert.Contains("0001_", error.Message);
        }
        finally
        {
            await using var restore = db.CreateCommand("UPDATE gateway.schema_migrations SET checksum = $1 WHERE version = 1");
            restore.Parameters.Add(new() { Value = original });
            await restore.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Pgvector_is_available_with_hnsw()
    {
        await using var db = postgres.CreateDataSource();
        await Migrator.ApplyAsync(db, "gateway");
        await using var cmd = db.CreateCommand("""
            CREATE TABLE IF NOT EXISTS public.vec (id int, v vector(3));
            CREATE INDEX IF NOT EXISTS vec_hnsw ON public.vec USING hnsw (v vector_cosine_ops);
            INSERT INTO public.vec VALUES (1, '[1,0,0]'), (2, '[0,1,0]');
            """);
        await cmd.ExecuteNonQueryAsync();
        await using var query = db.CreateCommand("SELECT id FROM public.vec ORDER BY v <=> $1 LIMIT 1");
        query.Parameters.Add(new NpgsqlParameter { Value = new Pgvector.Vector(new float[] { 0.1f, 0.9f, 0 }) });
        Assert.Equal(2, await query.ExecuteScalarAsync());
    }
}
