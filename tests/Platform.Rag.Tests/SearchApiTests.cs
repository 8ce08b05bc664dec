using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Rag.Tests;

[Collection(nameof(RagCollection))]
public sealed class SearchApiTests(RagFixture fx)
{
    private static async Task<JsonElement> SearchOkAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/v1/rag/search", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Theory]
    [InlineData("hybrid")]
    [InlineData("vector")]
    [InlineData("fulltext")]
    public async Task Every_mode_ranks_the_document_that_answers_first(string mode)
    {
        using var client = fx.Rag(fx.TenantA);
        var result = await SearchOkAsync(client, new { knowledge_base_ids = new[] { fx.KbA }, query = "Which volcano in Sicily erupts lava?", top_k = 3, mode });
        var data = result.GetProperty("data");
        Assert.Equal(mode, result.GetProperty("mode").GetString());
        Assert.Equal(fx.VolcanoDoc, data[0].GetProperty("document_id").GetGuid());
        Assert.Equal("volcanoes.md", data[0].GetProperty("title").GetString());
        Assert.Contains("Etna", data[0].GetProperty("content").GetString());
        Assert.Equal(1, data[0].GetProperty("rank").GetInt32());
        Assert.True(data.GetArrayLength() <= 3);
    }

    [Theory]
    [InlineData("relative_score")]
    [InlineData("rrf")]
    public async Task Alpha_zero_hybrid_follows_the_full_text_order_and_alpha_one_the_vector_order(string fusion)
    {
        using var client = fx.Rag(fx.TenantA);
        const string query = "the crust of the bread and the lava of the volcano";
        async Task<List<Guid>> Ids(object body) =>
            (await SearchOkAsync(client, body)).GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).ToList();

        var text = await Ids(new { knowledge_base_ids = new[] { fx.KbA }, query, top_k = 20, mode = "fulltext" });
        var vector = await Ids(new { knowledge_base_ids = new[] { fx.KbA }, query, top_k = 20, mode = "vector" });
        var textOnly = await Ids(new { knowledge_base_ids = new[] { fx.KbA }, query, top_k = 20, fusion, alpha = 0.0 });
        var vectorOnly = await Ids(new { knowledge_base_ids = new[] { fx.KbA }, query, top_k = 20, fusion, alpha = 1.0 });

        // Min-max normalisation gives a leg's last candidate 0, where it ties with the other leg's chunks.
        var sure = fusion == "rrf" ? 0 : 1;
        Assert.True(text.Count >= 2, string.Join(", ", text));
        Assert.Equal(text.SkipLast(sure), textOnly.Take(text.Count - sure));
        Assert.Equal(vector.SkipLast(sure), vectorOnly.Take(vector.Count - sure));
    }

    [Fact]
    public async Task Document_filter_keeps_only_that_document()
    {
        using var client = fx.Rag(fx.TenantA);
        var result = await SearchOkAsync(client, new
        {
            knowledge_base_ids = new[] { fx.KbA }, query = "Which volcano in Sicily erupts lava?", top_k = 5,
            filters = new { document_ids = new[] { fx.BakingDoc } },
        });
        var data = result.GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(data);
        Assert.All(data, c => Assert.Equal(fx.BakingDoc, c.GetProperty("document_id").GetGuid()));
    }

    [Fact]
    public async Task Another_tenants_knowledge_base_is_404_like_a_missing_one_and_leaks_nothing()
    {
        using var client = fx.Rag(fx.TenantA);
        foreach (var kb in new[] { fx.KbB, Guid.NewGuid() })
        {
            using var response = await client.PostAsJsonAsync("/v1/rag/search", new { knowledge_base_ids = new[] { fx.KbA, kb }, query = "Project Zephyr launch code" });
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("knowledge_base_not_found", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.DoesNotContain("ZEPHYR", body, StringComparison.OrdinalIgnoreCase);
        }
        // Searching only its own knowledge base, tenant A never sees tenant B's chunks.
        var own = await SearchOkAsync(client, new { knowledge_base_ids = new[] { fx.KbA }, query = "Project Zephyr launch code ZEPHYR-7731", top_k = 10 });
        Assert.DoesNotContain("7731", own.GetRawText());
    }

    [Theory]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"query":"   "}""", "query")]
    [InlineData("""{"knowledge_base_ids":[],"query":"lava"}""", "knowledge_base_ids")]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"query":"lava","mode":"semantic"}""", "mode")]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"query":"lava","top_k":0}""", "top_k")]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"query":"lava","fusion":"borda"}""", "fusion")]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"query":"lava","alpha":1.5}""", "alpha")]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"query":"lava","rrf_k":-1}""", "rrf_k")]
    public async Task Bad_input_is_400_naming_the_field(string json, string field)
    {
        using var client = fx.Rag(fx.TenantA);
        using var response = await client.PostAsync("/v1/rag/search", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(field, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_caller_without_the_rag_scope_is_refused()
    {
        using var client = fx.Rag(fx.TenantA, "inference");
        using var response = await client.PostAsJsonAsync("/v1/rag/search", new { knowledge_base_ids = new[] { fx.KbA }, query = "lava" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Ingestion_down_is_503_with_a_clear_message()
    {
        await using var rag = fx.CreateRag($"http://127.0.0.1:{Platform.LocalInfra.Ports.GetFree()}/", fx.IngestionUrl);
        using var client = rag.CreateDefaultClient(Platform.TestKit.SignedCaller.Wrap(Platform.TestKit.SignedCaller.Tenant(fx.TenantA)));
        using var response = await client.PostAsJsonAsync("/v1/rag/search", new { knowledge_base_ids = new[] { fx.KbA }, query = "lava" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("ingestion service is unavailable", await response.Content.ReadAsStringAsync());
    }
}
