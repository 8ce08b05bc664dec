using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Ingestion.Tests;

[Collection(StoresCollection.Name)]
public sealed class ModelTests(StoresFixture stores) : IDisposable
{
    private readonly string _models = Path.Combine(Path.GetTempPath(), "ingestion-models-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_knowledge_base_built_with_a_bert_model_records_it_and_ingests_with_its_tokens()
    {
        new RandomBert().WriteTo(Path.Combine(_models, "tiny-bert"), cls: false);
        await using var factory = new IngestionFactory(stores, new() { ["Platform:ModelsDir"] = _models });
        using var client = factory.ClientFor(Guid.NewGuid());
        using var created = await client.PostAsJsonAsync("/v1/knowledge-bases", new { name = "bert", embedding_model = "tiny-bert", chunk_tokens = 16, chunk_overlap = 0 });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var kb = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("tiny-bert", kb.GetProperty("embedding_model").GetString());
        Assert.Equal(RandomBert.Hidden, kb.GetProperty("embedding_dimensions").GetInt32());
        var kbId = kb.GetProperty("id").GetGuid();

        var doc = await Api.UploadOkAsync(client, kbId, "sea.txt", TestDocuments.Utf8(
            "the keeper saw birds . the sea calm . the lighthouse\n\nthe lighthouse keeper saw the calm sea and the birds . the keeper saw birds"));
        Assert.Equal("ready", (await Api.SettledAsync(client, kbId, doc)).GetProperty("status").GetString());
        var chunks = await Api.ChunksAsync(client, kbId, doc);
        Assert.True(chunks.Length >= 2);
        Assert.All(chunks, c => Assert.True(c.GetProperty("token_count").GetInt32() <= 16));
        var hits = await Api.SearchAsync(client, kbId, chunks[1].GetProperty("content").GetString()!, k: 1);
        Assert.Equal(chunks[1].GetProperty("id").GetGuid(), hits[0].GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task A_job_whose_model_is_gone_retries_with_backoff_then_is_dead_lettered_with_the_reason()
    {
        new RandomBert().WriteTo(Path.Combine(_models, "vanishing-bert"), cls: true);
        var tenant = Guid.NewGuid();
        Guid kbId;
        await using (var withModel = new IngestionFactory(stores, new() { ["Platform:ModelsDir"] = _models, ["Ingestion:Workers"] = "0" }))
        {
            using var client = withModel.ClientFor(tenant);
            using var created = await client.PostAsJsonAsync("/v1/knowledge-bases", new { name = "gone", embedding_model = "vanishing-bert", chunk_tokens = 16, chunk_overlap = 0 });
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            kbId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }
        await using var without = new IngestionFactory(stores, new() { ["Ingestion:MaxAttempts"] = "3" });
        using var c = without.ClientFor(tenant);
        var doc = await Api.UploadOkAsync(c, kbId, "a.txt", TestDocuments.Utf8("the keeper saw birds"));
        var settled = await Api.SettledAsync(c, kbId, doc);
        Assert.Equal("failed", settled.GetProperty("status").GetString());
        Assert.Contains("after 3 attempt(s)", settled.GetProperty("failure_reason").GetString());
        Assert.Contains("'vanishing-bert'", settled.GetProperty("failure_reason").GetString());

        await using var ds = stores.Postgres.CreateDataSource();
        await using var cmd = ds.CreateCommand("SELECT status, attempts, last_error FROM ingestion.jobs WHERE document_id = @d");
        cmd.Parameters.AddWithValue("d", doc);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("dead", reader.GetString(0));
        Assert.Equal(3, reader.GetInt32(1));
        Assert.Contains("not available", reader.GetString(2));
    }

    public void Dispose()
    {
        if (Directory.Exists(_models))
        {
            Directory.Delete(_models, recursive: true);
        }
    }
}
