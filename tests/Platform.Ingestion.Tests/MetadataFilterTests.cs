using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Inference.Embeddings;
using Platform.Ingestion.Embeddings;
using Platform.Ingestion.Storage;

namespace Platform.Ingestion.Tests;

/// <summary>Document tags and dates: set on upload, changed by PATCH, and filtering vector and full-text search in SQL.</summary>
[Collection(StoresCollection.Name)]
public sealed class MetadataFilterTests(StoresFixture stores)
{
    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, Guid kb, string fileName, string text, string[]? tagFields = null,
        string? date = null, bool metadataAfterFile = false)
    {
        using var form = new MultipartFormDataContent();
        void Metadata()
        {
            foreach (var tags in tagFields ?? [])
            {
                form.Add(new StringContent(tags), "tags");
            }
            if (date is not null)
            {
                form.Add(new StringContent(date), "date");
            }
        }
        if (!metadataAfterFile)
        {
            Metadata();
        }
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(file, "file", fileName);
        if (metadataAfterFile)
        {
            Metadata();
        }
        return await client.PostAsync($"/v1/knowledge-bases/{kb}/documents", form);
    }

    private static async Task<Guid> UploadReadyAsync(HttpClient client, Guid kb, string fileName, string text, string[]? tagFields = null,
        string? date = null)
    {
        using var response = await UploadAsync(client, kb, fileName, text, tagFields, date);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var doc = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal("ready", (await Api.SettledAsync(client, kb, doc)).GetProperty("status").GetString());
        return doc;
    }

    private static async Task<JsonElement[]> SearchAsync(HttpClient client, Guid kb, object body)
    {
        using var response = await client.PostAsJsonAsync($"/v1/knowledge-bases/{kb}/search", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("data").EnumerateArray().ToArray();
    }

    private static HashSet<Guid> Documents(IEnumerable<JsonElement> hits) => hits.Select(h => h.GetProperty("document_id").GetGuid()).ToHashSet();

    private static string Paragraphs(string topic, int count) => string.Join("\n\n", Enumerable.Range(1, count).Select(i =>
        $"Note {i} on {topic}: the {topic} report number {i} describes {topic} findings, {topic} measurements and {topic} results in detail for section {i}."));

    [Fact]
    public async Task Tags_and_date_are_set_on_upload_in_any_part_order_and_changed_by_patch()
    {
        await using var factory = new IngestionFactory(stores);
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(client, "meta");

        using (var upload = await UploadAsync(client, kb, "a.txt", "Tagged text about tides.", ["alpha, beta", "gamma", "beta"], "2021-05-04",
            metadataAfterFile: true))
        {
            Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
            var doc = await upload.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(["alpha", "beta", "gamma"], doc.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray());
            Assert.Equal("2021-05-04", doc.GetProperty("date").GetString());
        }
        var plain = await UploadReadyAsync(client, kb, "b.txt", "Untagged text about rivers.");
        var stored = await Api.DocumentAsync(client, kb, plain);
        Assert.Empty(stored.GetProperty("tags").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("date").ValueKind);

        using (var patch = await client.PatchAsJsonAsync($"/v1/knowledge-bases/{kb}/documents/{plain}", new { tags = new[] { "news", "eu:2024" }, date = "1999-12-31" }))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        stored = await Api.DocumentAsync(client, kb, plain);
        Assert.Equal(["news", "eu:2024"], stored.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal("1999-12-31", stored.GetProperty("date").GetString());

        // Only the date, cleared: the tags stay.
        using (var patch = await client.PatchAsync($"/v1/knowledge-bases/{kb}/documents/{plain}", JsonContent.Create(new { date = (string?)null })))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        stored = await Api.DocumentAsync(client, kb, plain);
        Assert.Equal(2, stored.GetProperty("tags").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("date").ValueKind);
    }

    [Fact]
    public async Task Tag_and_date_filters_apply_to_vector_and_full_text_search()
    {
        await using var factory = new IngestionFactory(stores);
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(client, "filters");
        const string text = "Harbour tides rise twice a day along the harbour wall.";
        var old = await UploadReadyAsync(client, kb, "old.txt", text + " Old edition.", ["harbour", "archive"], "2001-02-03");
        var current = await UploadReadyAsync(client, kb, "current.txt", text + " Current edition.", ["harbour"]);
        var other = await UploadReadyAsync(client, kb, "other.txt", text + " Other edition.");

        foreach (var mode in new[] { "vector", "text" })
        {
            Assert.Equal(new HashSet<Guid> { old, current, other }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode })));
            Assert.Equal(new HashSet<Guid> { old, current }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, tags_any = new[] { "harbour", "nothing" } })));
            Assert.Equal(new HashSet<Guid> { old }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, tags_all = new[] { "harbour", "archive" } })));
            Assert.Empty(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, tags_any = new[] { "nothing" } }));
            // The user-supplied date, else the upload day.
            Assert.Equal(new HashSet<Guid> { old }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, date_to = "2001-12-31" })));
            Assert.Equal(new HashSet<Guid> { current, other }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, date_from = "2002-01-01" })));
            Assert.Equal(new HashSet<Guid> { old }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, date_from = "2001-02-03", date_to = "2001-02-03" })));
            Assert.Equal(new HashSet<Guid> { current }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, tags_any = new[] { "harbour" }, date_from = "2002-01-01" })));
            Assert.Equal(new HashSet<Guid> { other }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode, document_ids = new[] { other } })));
        }

        // A PATCH changes what a filter finds.
        using (var patch = await client.PatchAsJsonAsync($"/v1/knowledge-bases/{kb}/documents/{other}", new { tags = new[] { "archive" } }))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }
        Assert.Equal(new HashSet<Guid> { old, other }, Documents(await SearchAsync(client, kb, new { query = "harbour tides", top_k = 10, mode = "vector", tags_any = new[] { "archive" } })));
    }

    [Fact]
    public async Task A_selective_tag_filter_still_returns_k_hits_from_the_hnsw_index()
    {
        await using var factory = new IngestionFactory(stores);
        var tenant = Guid.NewGuid();
        using var client = factory.ClientFor(tenant);
        var kb = await Api.CreateKbAsync(client, "selective", chunkTokens: 32, overlap: 0);
        // Many chunks close to the query, a few far from it: without an iterative scan, the index's first
        // ef_search candidates would all be common ones and the filter would leave fewer than k.
        var common = await UploadReadyAsync(client, kb, "common.txt", Paragraphs("glacier", 60), ["common"]);
        var rare = await UploadReadyAsync(client, kb, "rare.txt", Paragraphs("violin", 8), ["rare"]);
        var rareChunks = (await Api.ChunksAsync(client, kb, rare)).Length;
        Assert.True((await Api.ChunksAsync(client, kb, common)).Length > 40);
        Assert.True(rareChunks >= 5, $"rare chunks: {rareChunks}");

        var hits = await SearchAsync(client, kb, new { query = "glacier findings and measurements", top_k = 5, mode = "vector", tags_any = new[] { "rare" } });
        Assert.Equal(5, hits.Length);
        Assert.All(hits, h => Assert.Equal(rare, h.GetProperty("document_id").GetGuid()));
        var textHits = await SearchAsync(client, kb, new { query = "report section detail", top_k = 5, mode = "text", tags_all = new[] { "rare" } });
        Assert.Equal(5, textHits.Length);
        Assert.All(textHits, h => Assert.Equal(rare, h.GetProperty("document_id").GetGuid()));

        // The same through the HNSW index for certain: a table this small would otherwise be sorted exactly.
        // With ef_search 10 the index's first candidates are all common chunks; the iterative scan goes on until 5 pass the filter.
        var model = factory.Services.GetRequiredService<EmbeddingModelCatalog>().Find(LexicalEmbedder.DefaultId)!;
        var query = model.Embed(["glacier findings and measurements"], CancellationToken.None)[0];
        await using var ds = stores.Postgres.CreateDataSource();
        await using var scope = await TenantScope.BeginAsync(ds, tenant);
        await using (var planner = scope.CreateCommand("SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)"))
        {
            await planner.ExecuteNonQueryAsync();
        }
        var options = new VectorSearchOptions(EfSearch: 10);
        var filter = new ChunkFilter(TagsAny: ["rare"]);
        var plan = await ChunkSearch.ExplainNearestAsync(scope, [kb], query, 5, options, filter);
        Assert.Contains(VectorIndexes.Name(query.Length), plan);
        var indexed = await ChunkSearch.NearestAsync(scope, [kb], query, 5, options, filter);
        Assert.Equal(5, indexed.Count);
        Assert.All(indexed, h => Assert.Equal(rare, h.Chunk.DocumentId));
    }
}

/// <summary>Bad metadata is refused with a 400 naming the field, nothing is stored, and another tenant's document stays 404.</summary>
[Collection(StoresCollection.Name)]
public sealed class MetadataBadInputTests(StoresFixture stores)
{
    private static async Task AssertBadRequestAsync(HttpResponseMessage response, string param)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Equal(param, JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, Guid kb, string? tags, string? date)
    {
        using var form = new MultipartFormDataContent();
        if (tags is not null)
        {
            form.Add(new StringContent(tags), "tags");
        }
        if (date is not null)
        {
            form.Add(new StringContent(date), "date");
        }
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("Some text.")), "file", "x.txt");
        return await client.PostAsync($"/v1/knowledge-bases/{kb}/documents", form);
    }

    [Fact]
    public async Task Bad_tags_dates_and_filters_are_400s_naming_the_field_and_nothing_is_half_written()
    {
        await using var factory = new IngestionFactory(stores);
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(client, "bad-meta");

        var tooMany = string.Join(',', Enumerable.Range(1, 33).Select(i => $"t{i}"));
        foreach (var (tags, date, param) in new (string Tags, string? Date, string Param)[]
        {
            ("ok,bad tag", null, "tags"), (tooMany, null, "tags"), (new string('x', 65), null, "tags"), ("ok", "2024-13-01", "date"),
            ("ok", "yesterday", "date"), ("caf\u00e9", null, "tags"),
        })
        {
            using var response = await UploadAsync(client, kb, tags, date);
            await AssertBadRequestAsync(response, param);
        }
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/v1/knowledge-bases/{kb}/documents")).GetProperty("data").EnumerateArray());
        Assert.Empty(Directory.Exists(Path.Combine(factory.DataDir, "tmp")) ? Directory.GetFiles(Path.Combine(factory.DataDir, "tmp")) : []);

        var doc = await Api.UploadOkAsync(client, kb, "good.txt", TestDocuments.Utf8("A good document about lighthouses."));
        foreach (var (body, param) in new (object, string)[]
        {
            (new { tags = new[] { "has space" } }, "tags"), (new { tags = Enumerable.Range(1, 33).Select(i => $"t{i}").ToArray() }, "tags"),
            (new { date = "2024-02-30" }, "date"), (new { date = 20240101 }, "date"), (new { }, "tags"),
        })
        {
            using var response = await client.PatchAsJsonAsync($"/v1/knowledge-bases/{kb}/documents/{doc}", body);
            await AssertBadRequestAsync(response, param);
        }
        Assert.Empty((await Api.DocumentAsync(client, kb, doc)).GetProperty("tags").EnumerateArray());

        foreach (var (body, param) in new (object, string)[]
        {
            (new { query = "lighthouse", date_from = "2024-02-01", date_to = "2024-01-01" }, "date_from"),
            (new { query = "lighthouse", date_to = "01/02/2024" }, "date_to"),
            (new { query = "lighthouse", date_from = "2024-1-1" }, "date_from"),
            (new { query = "lighthouse", tags_any = new[] { "a/b" } }, "tags_any"),
            (new { query = "lighthouse", mode = "text", tags_all = new[] { "" } }, "tags_all"),
        })
        {
            using var response = await client.PostAsJsonAsync($"/v1/knowledge-bases/{kb}/search", body);
            await AssertBadRequestAsync(response, param);
        }

        // The service keeps serving, and another tenant's document is 404 for PATCH and filtered search alike.
        Assert.Equal("ready", (await Api.SettledAsync(client, kb, doc)).GetProperty("status").GetString());
        using var intruder = factory.ClientFor(Guid.NewGuid());
        using (var patch = await intruder.PatchAsJsonAsync($"/v1/knowledge-bases/{kb}/documents/{doc}", new { tags = new[] { "mine" } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        }
        using (var search = await intruder.PostAsJsonAsync($"/v1/knowledge-bases/{kb}/search", new { query = "lighthouses", tags_any = new[] { "mine" } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, search.StatusCode);
        }
        Assert.Empty((await Api.DocumentAsync(client, kb, doc)).GetProperty("tags").EnumerateArray());
    }
}

public sealed class DocumentTagsTests
{
    [Fact]
    public void Comma_separated_and_repeated_values_become_one_deduplicated_list()
    {
        var tags = DocumentTags.Normalize(DocumentTags.SplitCommaSeparated(["a, b", "c", ",,", "a"]), out var error);
        Assert.Null(error);
        Assert.Equal(["a", "b", "c"], tags!);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("slash/no")]
    [InlineData("")]
    [InlineData("\u00e9t\u00e9")]
    public void Tags_outside_the_rule_are_refused(string tag)
    {
        Assert.Null(DocumentTags.Normalize([tag], out var error));
        Assert.Contains("invalid", error);
        Assert.True(DocumentTags.IsValid(new string('x', 64)));
        Assert.False(DocumentTags.IsValid(new string('x', 65)));
    }

    [Fact]
    public void Filter_parsing_names_the_bad_field_and_rejects_a_reversed_range()
    {
        Assert.Null(ChunkFilter.Parse(null, null, null, "2024-03-01", "2024-02-01", out var field, out _));
        Assert.Equal("date_from", field);
        Assert.Null(ChunkFilter.Parse(null, null, ["x y"], null, null, out field, out _));
        Assert.Equal("tags_all", field);
        Assert.True(ChunkFilter.Parse(null, [], [], null, null, out _, out _)!.IsEmpty);
    }
}
