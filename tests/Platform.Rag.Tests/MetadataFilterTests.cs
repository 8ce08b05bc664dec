using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Rag.Tests;

/// <summary>Tag and date filters through real HTTP: Rag → Ingestion (SQL, both legs) → fused results.</summary>
[Collection(nameof(RagCollection))]
public sealed class MetadataFilterTests(RagFixture fx)
{
    private const string Question = "When was the harbour lighthouse lamp lit?";

    private static async Task<Guid> UploadReadyAsync(HttpClient ingestion, Guid kb, string fileName, string text, string tags, string? date)
    {
        using var form = new MultipartFormDataContent { { new StringContent(tags), "tags" } };
        if (date is not null)
        {
            form.Add(new StringContent(date), "date");
        }
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/markdown");
        form.Add(file, "file", fileName);
        using var response = await ingestion.PostAsync($"v1/knowledge-bases/{kb}/documents", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var doc = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        for (var i = 0; i < 1200; i++)
        {
            var status = (await ingestion.GetFromJsonAsync<JsonElement>($"v1/knowledge-bases/{kb}/documents/{doc}")).GetProperty("status").GetString();
            if (status == "ready")
            {
                return doc;
            }
            Assert.NotEqual("failed", status);
            await Task.Delay(50);
        }
        throw new TimeoutException($"{fileName} was not ingested");
    }

    private static async Task<HashSet<Guid>> SearchDocumentsAsync(HttpClient rag, Guid kb, string mode, object? filters)
    {
        using var response = await rag.PostAsJsonAsync("/v1/rag/search", new { knowledge_base_ids = new[] { kb }, query = Question, top_k = 10, mode, filters });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("document_id").GetGuid()).ToHashSet();
    }

    [Fact]
    public async Task Tag_and_date_filters_change_search_and_chat_results_and_bad_values_are_400s_naming_the_field()
    {
        var tenant = Guid.NewGuid();
        using var ingestion = fx.IngestionFor(tenant);
        var kb = await RagFixture.CreateKbAsync(ingestion, "filtered");
        var old = await UploadReadyAsync(ingestion, kb, "lighthouse-1890.md",
            "# Harbour lighthouse\n\nThe harbour lighthouse lamp was first lit in 1890 with a paraffin lamp and a lens.", "history,harbour", "1890-05-01");
        var current = await UploadReadyAsync(ingestion, kb, "lighthouse-today.md",
            "# Harbour lighthouse today\n\nThe harbour lighthouse lamp is lit today by an automatic LED lamp.", "current,harbour", null);

        using var rag = fx.Rag(tenant);
        foreach (var mode in new[] { "hybrid", "vector", "fulltext" })
        {
            Assert.Equal(new HashSet<Guid> { old, current }, await SearchDocumentsAsync(rag, kb, mode, null));
            Assert.Equal(new HashSet<Guid> { old }, await SearchDocumentsAsync(rag, kb, mode, new { tags_any = new[] { "history" } }));
            Assert.Equal(new HashSet<Guid> { current }, await SearchDocumentsAsync(rag, kb, mode, new { tags_all = new[] { "harbour", "current" } }));
            Assert.Equal(new HashSet<Guid> { old }, await SearchDocumentsAsync(rag, kb, mode, new { date_to = "1999-12-31" }));
            Assert.Equal(new HashSet<Guid> { current }, await SearchDocumentsAsync(rag, kb, mode, new { date_from = "2000-01-01" }));
            Assert.Empty(await SearchDocumentsAsync(rag, kb, mode, new { tags_any = new[] { "history" }, date_from = "2000-01-01" }));
        }

        foreach (var (filters, param) in new (object, string)[]
        {
            (new { date_from = "2024-02-01", date_to = "2024-01-01" }, "filters.date_from"),
            (new { date_to = "2024-02-30" }, "filters.date_to"),
            (new { tags_any = new[] { "no spaces please" } }, "filters.tags_any"),
            (new { tags_all = Enumerable.Range(0, 33).Select(i => $"t{i}").ToArray() }, "filters.tags_all"),
        })
        {
            using var search = await rag.PostAsJsonAsync("/v1/rag/search", new { knowledge_base_ids = new[] { kb }, query = Question, filters });
            var body = await search.Content.ReadAsStringAsync();
            Assert.True(search.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.Equal(param, JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("param").GetString());

            using var chat = await rag.PostAsJsonAsync("/v1/rag/chat/completions", new
            {
                messages = new[] { new { role = "user", content = Question } }, knowledge_base_ids = new[] { kb }, filters,
            });
            body = await chat.Content.ReadAsStringAsync();
            Assert.True(chat.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.Equal(param, JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("param").GetString());
        }

        // Chat retrieves with the same filters: the answer's sources come from the filtered document only.
        using var answering = fx.RagWithModel(tenant);
        using (var put = await answering.PutAsJsonAsync("/v1/rag/templates/short",
            new { template = "<message role=\"system\">Sources:\n{{$sources}}</message>\n<message role=\"user\">{{$question}}</message>" }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        foreach (var (filters, expected) in new (object, Guid)[] { (new { tags_any = new[] { "history" } }, old), (new { date_from = "2000-01-01" }, current) })
        {
            using var response = await answering.PostAsJsonAsync("/v1/rag/chat/completions", new
            {
                messages = new[] { new { role = "user", content = Question } }, knowledge_base_ids = new[] { kb }, filters,
                template = "short", top_k = 2, max_tokens = 4, temperature = 0,
            });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var sources = JsonDocument.Parse(body).RootElement.GetProperty("sources").EnumerateArray().ToList();
            Assert.NotEmpty(sources);
            Assert.All(sources, s => Assert.Equal(expected, s.GetProperty("document_id").GetGuid()));
        }

        // Another tenant's knowledge base stays 404 with filters too.
        using var other = fx.Rag(fx.TenantA);
        using var foreign = await other.PostAsJsonAsync("/v1/rag/search",
            new { knowledge_base_ids = new[] { kb }, query = Question, filters = new { tags_any = new[] { "history" } } });
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }
}

public sealed class RetrievalFilterTests
{
    [Fact]
    public void Tags_are_trimmed_and_deduplicated_empty_lists_filter_nothing_and_an_equal_date_range_is_one_day()
    {
        var filter = RetrievalFilter.Parse(null, [" a ", "a", "b:c"], [], "2024-01-05", "2024-01-05", out var field, out var error);
        Assert.Null(field);
        Assert.Null(error);
        Assert.Equal(["a", "b:c"], filter!.TagsAny!);
        Assert.Null(filter.TagsAll);
        Assert.Equal(new DateOnly(2024, 1, 5), filter.DateFrom);
        Assert.Equal(filter.DateFrom, filter.DateTo);
    }

    [Theory]
    [InlineData(new[] { "ok", null }, null, null, null, "tags_any")]
    [InlineData(null, new[] { "a,b" }, null, null, "tags_all")]
    [InlineData(null, null, "2024-1-05", null, "date_from")]
    [InlineData(null, null, null, "2024-02-30", "date_to")]
    [InlineData(null, null, "2024-03-01", "2024-02-29", "date_from")]
    public void Bad_values_name_their_field(string?[]? any, string?[]? all, string? from, string? to, string expected)
    {
        Assert.Null(RetrievalFilter.Parse(null, any, all, from, to, out var field, out var error));
        Assert.Equal(expected, field);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void More_than_32_distinct_tags_are_refused_but_duplicates_do_not_count()
    {
        Assert.Null(RetrievalFilter.Parse(null, Enumerable.Range(0, 33).Select(i => (string?)$"t{i}").ToList(), null, null, null, out var field, out _));
        Assert.Equal("tags_any", field);
        Assert.NotNull(RetrievalFilter.Parse(null, Enumerable.Repeat((string?)"same", 40).ToList(), null, null, null, out _, out _));
    }
}
