using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Ingestion.Tests;

[Collection(StoresCollection.Name)]
public sealed class TenantIsolationTests(StoresFixture stores)
{
    [Fact]
    public async Task Tenant_B_gets_404_for_everything_of_tenant_A_and_A_keeps_it()
    {
        await using var factory = new IngestionFactory(stores);
        using var a = factory.ClientFor(Guid.NewGuid());
        var bTenant = Guid.NewGuid();
        using var b = factory.ClientFor(bTenant);
        var kb = await Api.CreateKbAsync(a, "private");
        var doc = await Api.UploadOkAsync(a, kb, "secret.txt", TestDocuments.Utf8("The vault code is hidden in the garden shed."));
        Assert.Equal("ready", (await Api.SettledAsync(a, kb, doc)).GetProperty("status").GetString());

        var bList = await b.GetFromJsonAsync<JsonElement>("/v1/knowledge-bases");
        Assert.Empty(bList.GetProperty("data").EnumerateArray());
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, $"/v1/knowledge-bases/{kb}"),
            (HttpMethod.Get, $"/v1/knowledge-bases/{kb}/documents"),
            (HttpMethod.Get, $"/v1/knowledge-bases/{kb}/documents/{doc}"),
            (HttpMethod.Get, $"/v1/knowledge-bases/{kb}/documents/{doc}/chunks"),
            (HttpMethod.Post, $"/v1/knowledge-bases/{kb}/documents/{doc}/reingest"),
            (HttpMethod.Delete, $"/v1/knowledge-bases/{kb}/documents/{doc}"),
            (HttpMethod.Delete, $"/v1/knowledge-bases/{kb}"),
        })
        {
            using var response = await b.SendAsync(new HttpRequestMessage(method, path));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {response.StatusCode}");
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out _));
        }
        using (var search = await b.PostAsJsonAsync($"/v1/knowledge-bases/{kb}/search", new { query = "vault code" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, search.StatusCode);
        }
        using (var upload = await Api.UploadAsync(b, kb, "x.txt", TestDocuments.Utf8("intruder")))
        {
            Assert.Equal(HttpStatusCode.NotFound, upload.StatusCode);
        }

        Assert.Contains("vault code", (await Api.SearchAsync(a, kb, "vault code", k: 1))[0].GetProperty("content").GetString());

        Assert.Single((await a.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kb}/documents")).GetProperty("data").EnumerateArray());

        // Row-level security on its own: tenant B's scope sees none of A's rows even with no WHERE clause and A's ids in hand.
        // (Last, because an open transaction holds the embedded database's one backend.)
        await using var ds = stores.Postgres.CreateDataSource();
        await using var scope = await Platform.Data.TenantScope.BeginAsync(ds, bTenant);
        foreach (var table in new[] { "knowledge_bases", "documents", "chunks", "jobs", "corpus_stats", "term_stats" })
        {
            await using var count = scope.CreateCommand($"SELECT count(*) FROM ingestion.{table}");
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }
        Assert.Empty(await Platform.Ingestion.Storage.ChunkSearch.FullTextAsync(scope, [kb], "vault code", 10));
    }

    [Fact]
    public async Task Unsigned_callers_get_401_and_callers_without_the_ingest_scope_cannot_write()
    {
        await using var factory = new IngestionFactory(stores);
        using var anonymous = factory.CreateClient();
        using var unsigned = await anonymous.GetAsync("/v1/knowledge-bases");
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);

        using var ragOnly = factory.ClientFor(Guid.NewGuid(), "rag");
        using var create = await ragOnly.PostAsJsonAsync("/v1/knowledge-bases", new { name = "nope" });
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        using var list = await ragOnly.GetAsync("/v1/knowledge-bases");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }
}
