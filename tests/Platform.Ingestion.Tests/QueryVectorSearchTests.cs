using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.Inference.Embeddings;

namespace Platform.Ingestion.Tests;

/// <summary>
/// Search with a precomputed <c>query_vector</c> (what the RAG service sends after embedding the query through the
/// Inference service): the same chunks and scores as the text embedded here, dimension checked against the knowledge base.
/// </summary>
[Collection(StoresCollection.Name)]
public sealed class QueryVectorSearchTests(StoresFixture stores)
{
    private const string Question = "Which glacier in the Alps is retreating fastest?";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SearchAsync(HttpClient client, Guid kb, object body)
    {
        using var response = await client.PostAsJsonAsync($"/v1/knowledge-bases/{kb}/search", body);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static async Task<Guid> KnowledgeBaseWithDocumentsAsync(HttpClient client)
    {
        var kb = await Api.CreateKbAsync(client, "vectors");
        foreach (var (name, text) in new[]
        {
            ("glaciers.txt", "The Aletsch glacier in the Alps is retreating by about fifty metres a year as summers warm."),
            ("tides.txt", "Harbour tides rise twice a day along the harbour wall."),
            ("alps.txt", "The Alps stretch across eight countries; skiing and hiking bring visitors all year."),
        })
        {
            Assert.Equal("ready", (await Api.SettledAsync(client, kb, await Api.UploadOkAsync(client, kb, name, Encoding.UTF8.GetBytes(text))))
                .GetProperty("status").GetString());
        }
        return kb;
    }

    [Fact]
    public async Task A_query_vector_gives_the_same_chunks_and_scores_as_the_text_and_needs_no_text()
    {
        await using var factory = new IngestionFactory(stores);
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await KnowledgeBaseWithDocumentsAsync(client);
        var vector = LexicalEmbedder.Create().Embed([Question])[0];

        var (textStatus, byText) = await SearchAsync(client, kb, new { query = Question, top_k = 10, mode = "vector" });
        var (vectorStatus, byVector) = await SearchAsync(client, kb, new { query = Question, top_k = 10, mode = "vector", query_vector = vector });
        var (bareStatus, byBareVector) = await SearchAsync(client, kb, new { top_k = 10, query_vector = vector });

        Assert.Equal(HttpStatusCode.OK, textStatus);
        Assert.Equal(HttpStatusCode.OK, vectorStatus);
        Assert.Equal(HttpStatusCode.OK, bareStatus);
        var expected = byText.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(3, expected.Count);
        Assert.Contains("Aletsch", expected[0].GetProperty("content").GetString());
        foreach (var actual in new[] { byVector, byBareVector }.Select(b => b.GetProperty("data").EnumerateArray().ToList()))
        {
            Assert.Equal(expected.Select(c => c.GetProperty("id").GetGuid()), actual.Select(c => c.GetProperty("id").GetGuid()));
            Assert.All(expected.Zip(actual), p => Assert.Equal(p.First.GetProperty("score").GetDouble(), p.Second.GetProperty("score").GetDouble(), 1e-6));
        }
    }

    [Fact]
    public async Task A_vector_of_another_dimension_a_vector_in_text_mode_and_no_query_at_all_are_400s_naming_the_field()
    {
        await using var factory = new IngestionFactory(stores);
        using var client = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(client, "dimensions");

        var (status, body) = await SearchAsync(client, kb, new { query = Question, mode = "vector", query_vector = new float[384] });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body.GetProperty("error");
        Assert.Equal("query_vector", error.GetProperty("param").GetString());
        Assert.Contains("384", error.GetProperty("message").GetString());
        Assert.Contains("platform-lexical-v2", error.GetProperty("message").GetString());
        Assert.Contains("1024", error.GetProperty("message").GetString());

        (status, body) = await SearchAsync(client, kb, new { query = Question, mode = "text", query_vector = new float[1024] });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("query_vector", body.GetProperty("error").GetProperty("param").GetString());

        (status, body) = await SearchAsync(client, kb, new { mode = "vector" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("query", body.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_query_vector_for_another_tenants_knowledge_base_is_404()
    {
        await using var factory = new IngestionFactory(stores);
        using var owner = factory.ClientFor(Guid.NewGuid());
        var kb = await Api.CreateKbAsync(owner, "private");
        using var other = factory.ClientFor(Guid.NewGuid());
        var (status, _) = await SearchAsync(other, kb, new { query = Question, query_vector = new float[1024] });
        Assert.Equal(HttpStatusCode.NotFound, status);
    }
}
