using System.Buffers.Binary;
using System.Net.Sockets;
using Platform.Data;
using Platform.TestKit;

namespace Platform.Foundation.Tests.Data;

/// <summary>
/// A service cancels its query when its caller goes away (a closed browser tab aborts the request). Npgsql then
/// sends a CancelRequest on a connection of its own and waits for the server to close it. PGlite, one backend
/// shared by every connection, cannot interrupt a query, but it must answer the request, or the cancelled
/// connection keeps its transaction (and with it the backend) while Npgsql waits.
/// </summary>
public sealed class CancelledQueryTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const int CancelRequestCode = 80877102;

    [Fact]
    public async Task The_server_closes_a_cancel_request_connection_as_postgres_does()
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", postgres.Server.Port);
        var stream = client.GetStream();
        var request = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(request, 16);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), CancelRequestCode);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 42);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), 7);
        await stream.WriteAsync(request);

        // Before the fix the server read the 16 bytes as the start of a 4,101-byte message and waited for the rest.
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(new byte[64], hang.Token);
        Assert.Equal(0, read);
    }

    [Fact]
    public async Task A_query_cancelled_inside_a_tenant_transaction_leaves_every_connection_working()
    {
        await using var db = postgres.CreateDataSource();
        await using (var role = db.CreateCommand($"""
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Roles.Tenant}') THEN CREATE ROLE {Roles.Tenant} NOLOGIN; END IF; END $$;
            """))
        {
            await role.ExecuteNonQueryAsync();
        }

        for (var round = 0; round < 3; round++)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50 + 50 * round));
            var cancelled = Task.Run(async () =>
            {
                await using var scope = await TenantScope.BeginAsync(db, Guid.NewGuid(), cancel.Token);
                await using var slow = scope.CreateCommand("SELECT count(*) FROM generate_series(1, 2000000)");
                // PGlite runs the query to its end: the caller gets its result or, from Npgsql, the cancellation.
                return await Record.ExceptionAsync(() => slow.ExecuteScalarAsync(cancel.Token));
            });
            using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var outcome = await cancelled.WaitAsync(hang.Token);
            Assert.True(outcome is null or OperationCanceledException, $"round {round}: {outcome}");

            // The pooled connections, the cancelled one among them, go on to serve tenant transactions.
            await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            {
                await using var scope = await TenantScope.BeginAsync(db, Guid.NewGuid(), hang.Token);
                await using var quick = scope.CreateCommand("SELECT current_setting('app.tenant_id')");
                Assert.Equal(scope.TenantId.ToString(), await quick.ExecuteScalarAsync(hang.Token));
            }));
        }
    }
}
