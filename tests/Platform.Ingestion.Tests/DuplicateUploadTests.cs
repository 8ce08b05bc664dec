using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace Platform.Ingestion.Tests;

[Collection(StoresCollection.Name)]
public sealed class DuplicateUploadTests(StoresFixture stores)
{
    [Fact]
    public async Task Many_concurrent_identical_uploads_make_one_document_one_job_and_one_file()
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var client = factory.ClientFor(tenant);
        var kb = await Api.CreateKbAsync(client, "dups");
        var content = TestDocuments.Utf8("Identical bytes uploaded by eight clients at once.");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Api.UploadAsync(client, kb, "same.txt", content)));
        var ids = new List<Guid>();
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, response.StatusCode.ToString());
                ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
            }
        }
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        var id = Assert.Single(ids.Distinct());
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM ingestion.documents WHERE knowledge_base_id = @kb", kb));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM ingestion.jobs j JOIN ingestion.documents d ON d.id = j.document_id WHERE d.knowledge_base_id = @kb", kb));
        Assert.Equal("ready", (await Api.SettledAsync(client, kb, id)).GetProperty("status").GetString());
        var kbDir = Path.Combine(factory.DataDir, "documents", tenant.ToString("N"), kb.ToString("N"));
        Assert.Equal(new[] { id.ToString("N") }, Directory.EnumerateFiles(kbDir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_upload_that_loses_the_insert_to_a_live_row_returns_that_document_through_the_conflict_path()
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var client = factory.ClientFor(tenant);
        var kb = await Api.CreateKbAsync(client, "conflict");
        var content = TestDocuments.Utf8("A row inserted behind the service's back, as a concurrent upload on another node would.");
        var hash = Convert.ToHexStringLower(SHA256.HashData(content));

        // The winner of a race: its row is committed, the loser's INSERT meets it in the unique index.
        var winner = Guid.CreateVersion7();
        await using (var dataSource = stores.Postgres.CreateDataSource())
        await using (var insert = dataSource.CreateCommand("""
            INSERT INTO ingestion.documents (id, tenant_id, knowledge_base_id, file_name, size_bytes, content_hash, status)
            VALUES (@id, @tenant, @kb, 'winner.txt', @size, @hash, 'queued')
            """))
        {
            insert.Parameters.AddWithValue("id", winner);
            insert.Parameters.AddWithValue("tenant", tenant);
            insert.Parameters.AddWithValue("kb", kb);
            insert.Parameters.AddWithValue("size", (long)content.Length);
            insert.Parameters.AddWithValue("hash", hash);
            await insert.ExecuteNonQueryAsync();

            // The database itself refuses a second live row with that content, whatever the code does.
            await using var second = dataSource.CreateCommand("""
                INSERT INTO ingestion.documents (id, tenant_id, knowledge_base_id, file_name, size_bytes, content_hash, status)
                VALUES (@id, @tenant, @kb, 'second.txt', 1, @hash, 'ready')
                """);
            second.Parameters.AddWithValue("id", Guid.CreateVersion7());
            second.Parameters.AddWithValue("tenant", tenant);
            second.Parameters.AddWithValue("kb", kb);
            second.Parameters.AddWithValue("hash", hash);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => second.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        }

        using var response = await Api.UploadAsync(client, kb, "loser.txt", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(winner, body.GetProperty("id").GetGuid());
        Assert.Equal("winner.txt", body.GetProperty("filename").GetString());
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM ingestion.documents WHERE knowledge_base_id = @kb", kb));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM ingestion.jobs j JOIN ingestion.documents d ON d.id = j.document_id WHERE d.knowledge_base_id = @kb", kb));
        var kbDir = Path.Combine(factory.DataDir, "documents", tenant.ToString("N"), kb.ToString("N"));
        Assert.False(Directory.Exists(kbDir) && Directory.EnumerateFiles(kbDir).Any(), "the loser's stored file was not removed");
    }

    [Fact]
    public async Task A_failed_document_does_not_block_the_same_content_and_cannot_be_reingested_next_to_its_live_copy()
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var client = factory.ClientFor(tenant);
        var kb = await Api.CreateKbAsync(client, "again");
        var content = TestDocuments.Utf8("Content whose first document failed for a reason outside the content.");
        var first = await Api.UploadOkAsync(client, kb, "first.txt", content);
        Assert.Equal("ready", (await Api.SettledAsync(client, kb, first)).GetProperty("status").GetString());
        await using (var dataSource = stores.Postgres.CreateDataSource())
        await using (var fail = dataSource.CreateCommand("UPDATE ingestion.documents SET status = 'failed', failure_reason = 'test' WHERE id = @id"))
        {
            fail.Parameters.AddWithValue("id", first);
            await fail.ExecuteNonQueryAsync();
        }

        using var upload = await Api.UploadAsync(client, kb, "second.txt", content);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var second = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.NotEqual(first, second);

        using var reingest = await client.PostAsync($"/v1/knowledge-bases/{kb}/documents/{first}/reingest", null);
        Assert.Equal(HttpStatusCode.Conflict, reingest.StatusCode);
        Assert.Equal("duplicate_content", (await reingest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("failed", (await Api.DocumentAsync(client, kb, first)).GetProperty("status").GetString());
        Assert.Equal("ready", (await Api.SettledAsync(client, kb, second)).GetProperty("status").GetString());
    }

    private async Task<long> ScalarAsync(string sql, Guid kb)
    {
        await using var dataSource = stores.Postgres.CreateDataSource();
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("kb", kb);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
