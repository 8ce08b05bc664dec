using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Platform.Ingestion.Tests;

[Collection(StoresCollection.Name)]
public sealed class KnowledgeBaseDeletionTests(StoresFixture stores)
{
    [Fact]
    public async Task Deleting_a_knowledge_base_removes_its_documents_chunks_jobs_statistics_and_files_and_leaves_the_tenants_other_one_untouched()
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var client = factory.ClientFor(tenant);
        var doomed = await Api.CreateKbAsync(client, "doomed");
        var kept = await Api.CreateKbAsync(client, "kept");
        var doomedDocs = new[]
        {
            await Api.UploadOkAsync(client, doomed, "notes.txt", TestDocuments.Utf8("The pelican colony nests on the northern cliffs every spring.")),
            await Api.UploadOkAsync(client, doomed, "guide.md", TestDocuments.Utf8("# Harbour\n\nThe harbour master logs every pelican sighting.")),
            await Api.UploadOkAsync(client, doomed, "broken.pdf", TestDocuments.Utf8("%PDF-1.7\ngarbage")),
        };
        var keptDoc = await Api.UploadOkAsync(client, kept, "kept.txt", TestDocuments.Utf8("The pelican survey of the southern bay continues."));
        foreach (var doc in doomedDocs)
        {
            Assert.Contains((await Api.SettledAsync(client, doomed, doc)).GetProperty("status").GetString(), new[] { "ready", "failed" });
        }
        Assert.Equal("ready", (await Api.SettledAsync(client, kept, keptDoc)).GetProperty("status").GetString());
        var keptBefore = await client.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kept}");
        var keptChunksBefore = await Api.ChunksAsync(client, kept, keptDoc);
        var keptStatsBefore = await CountAsync("SELECT chunk_count FROM ingestion.corpus_stats WHERE knowledge_base_id = @kb", kept);
        Assert.True(await CountAsync("SELECT count(*) FROM ingestion.chunks WHERE knowledge_base_id = @kb", doomed) > 0);
        var doomedDir = Path.Combine(factory.DataDir, "documents", tenant.ToString("N"), doomed.ToString("N"));
        Assert.NotEmpty(Directory.EnumerateFiles(doomedDir));

        using (var delete = await client.DeleteAsync($"/v1/knowledge-bases/{doomed}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.True((await delete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deleted").GetBoolean());
        }

        // The API: the knowledge base and everything under it are gone (404, not an empty answer).
        await AssertNotFoundAsync(client.GetAsync($"/v1/knowledge-bases/{doomed}"));
        await AssertNotFoundAsync(client.GetAsync($"/v1/knowledge-bases/{doomed}/documents"));
        await AssertNotFoundAsync(client.PostAsJsonAsync($"/v1/knowledge-bases/{doomed}/search", new { query = "pelican", top_k = 5 }));
        await AssertNotFoundAsync(client.PostAsJsonAsync($"/v1/knowledge-bases/{doomed}/search", new { query = "pelican", top_k = 5, mode = "text" }));
        foreach (var doc in doomedDocs)
        {
            await AssertNotFoundAsync(client.GetAsync($"/v1/knowledge-bases/{doomed}/documents/{doc}"));
            await AssertNotFoundAsync(client.GetAsync($"/v1/knowledge-bases/{doomed}/documents/{doc}/chunks"));
            await AssertNotFoundAsync(client.PostAsync($"/v1/knowledge-bases/{doomed}/documents/{doc}/reingest", null));
        }
        await AssertNotFoundAsync(client.DeleteAsync($"/v1/knowledge-bases/{doomed}"));
        await AssertNotFoundAsync(Api.UploadAsync(client, doomed, "late.txt", TestDocuments.Utf8("An upload after the delete.")));
        var list = await client.GetFromJsonAsync<JsonElement>("/v1/knowledge-bases");
        Assert.Equal(new[] { kept }, list.GetProperty("data").EnumerateArray().Select(kb => kb.GetProperty("id").GetGuid()));

        // The database, read as the owner (no row-level security): no row of it is left anywhere.
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM ingestion.knowledge_bases WHERE id = @kb", doomed));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM ingestion.documents WHERE knowledge_base_id = @kb", doomed));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM ingestion.chunks WHERE knowledge_base_id = @kb", doomed));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM ingestion.jobs WHERE document_id = ANY(@docs)", doomed, doomedDocs));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM ingestion.corpus_stats WHERE knowledge_base_id = @kb", doomed));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM ingestion.term_stats WHERE knowledge_base_id = @kb", doomed));

        // The disk: the knowledge base's folder is gone (the refused late upload left nothing either).
        Assert.False(Directory.Exists(doomedDir));

        // The other knowledge base of the same tenant is untouched.
        var keptAfter = await client.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kept}");
        Assert.Equal(keptBefore.GetProperty("document_count").GetInt32(), keptAfter.GetProperty("document_count").GetInt32());
        Assert.Equal(keptBefore.GetProperty("chunk_count").GetInt64(), keptAfter.GetProperty("chunk_count").GetInt64());
        Assert.Equal(keptChunksBefore.Select(c => c.GetProperty("id").GetGuid()), (await Api.ChunksAsync(client, kept, keptDoc)).Select(c => c.GetProperty("id").GetGuid()));
        Assert.Equal(keptStatsBefore, await CountAsync("SELECT chunk_count FROM ingestion.corpus_stats WHERE knowledge_base_id = @kb", kept));
        Assert.True(File.Exists(Path.Combine(factory.DataDir, "documents", tenant.ToString("N"), kept.ToString("N"), keptDoc.ToString("N"))));
        var hits = await Api.SearchAsync(client, kept, "pelican survey", k: 5);
        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.Equal(keptDoc, h.GetProperty("document_id").GetGuid()));
        Assert.NotEmpty(await Api.SearchAsync(client, kept, "pelican", k: 5, mode: "text"));
    }

    private static async Task AssertNotFoundAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {response.StatusCode}");
    }

    private async Task<long> CountAsync(string sql, Guid kb, Guid[]? docs = null)
    {
        await using var dataSource = stores.Postgres.CreateDataSource();
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("kb", kb);
        cmd.Parameters.AddWithValue("docs", docs ?? []);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync() ?? 0L);
    }
}
