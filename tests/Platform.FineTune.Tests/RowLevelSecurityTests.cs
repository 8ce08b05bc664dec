using System.Net;
using Npgsql;
using Platform.Data;

namespace Platform.FineTune.Tests;

/// <summary>The finetune tables confine a tenant-scoped transaction to its tenant even when the SQL forgets to.</summary>
[Collection(ApiCollection.Name)]
public sealed class RowLevelSecurityTests(ApiStores stores)
{
    [Fact]
    public async Task Sql_without_a_tenant_filter_sees_and_changes_only_its_own_tenants_rows()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        using (var factory = new FineTuneFactory(stores, worker: false))
        {
            foreach (var tenant in new[] { a, b })
            {
                var client = factory.For(tenant);
                var file = await client.UploadOkAsync(PatternDataset.Jsonl(0, 4));
                await (await client.CreateJobAsync(new { model = "stories260K", training_file = file })).JsonAsync(HttpStatusCode.OK);
            }
        }
        await using var db = stores.Postgres.CreateDataSource();
        await using var scope = await TenantScope.BeginAsync(db, a);
        foreach (var table in new[] { "files", "file_token_counts", "jobs", "job_events" })
        {
            await using var count = scope.CreateCommand($"SELECT count(DISTINCT tenant_id), min(tenant_id::text) FROM finetune.{table}");
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(1L, reader.GetInt64(0));
            Assert.Equal(a.ToString(), reader.GetString(1));
        }
        await using (var update = scope.CreateCommand("UPDATE finetune.jobs SET status = 'cancelled'"))
        {
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }
        await using (var insert = scope.CreateCommand(
            "INSERT INTO finetune.job_events (tenant_id, job_id, level, type, message) SELECT $1, id, 'info', 'message', 'x' FROM finetune.jobs"))
        {
            insert.Parameters.Add(new() { Value = b });
            var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal("42501", error.SqlState);
        }
    }
}
