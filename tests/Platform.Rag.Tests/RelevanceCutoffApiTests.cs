using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace Platform.Rag.Tests;

/// <summary>
/// min_relevance through the real Rag host over real Ingestion (PostgreSQL + pgvector, the built-in lexical
/// embedder): it applies to each chunk's cosine similarity, in every mode, on search and chat alike.
/// </summary>
[Collection(nameof(RagCollection))]
public sealed class RelevanceCutoffApiTests(RagFixture fx, ITestOutputHelper output)
{
    private const string Question = "Which volcano in Sicily erupts lava?";

    // Chosen from the measured similarities (printed): the volcano chunks score above it, baking and rivers below.
    private const double Cutoff = 0.15;

    // Short enough that every retrieved chunk fits stories260K's 512-token context.
    private const string SourcesOnlyTemplate = "<message role=\"system\">Sources:\n{{$sources}}</message>\n<message role=\"user\">{{$question}}</message>";

    private async Task<List<JsonElement>> SearchAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/v1/rag/search", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("data").EnumerateArray().ToList();
        output.WriteLine(JsonSerializer.Serialize(body) + " →");
        foreach (var c in data)
        {
            var relevance = c.GetProperty("relevance");
            output.WriteLine($"  {c.GetProperty("title").GetString()}: relevance {(relevance.ValueKind == JsonValueKind.Null ? "null" : relevance.GetDouble().ToString("F4", CultureInfo.InvariantCulture))}, score {c.GetProperty("score").GetDouble():F4}");
        }
        return data;
    }

    [Theory]
    [InlineData("hybrid")]
    [InlineData("vector")]
    [InlineData("fulltext")]
    public async Task Search_returns_only_chunks_whose_cosine_similarity_reaches_the_cutoff_in_every_mode(string mode)
    {
        using var client = fx.Rag(fx.TenantA);
        var all = await SearchAsync(client, new { knowledge_base_ids = new[] { fx.KbA }, query = Question, top_k = 10, mode });
        var kept = await SearchAsync(client, new { knowledge_base_ids = new[] { fx.KbA }, query = Question, top_k = 10, mode, min_relevance = Cutoff });

        Assert.NotEmpty(kept);
        Assert.All(kept, c => Assert.Equal(fx.VolcanoDoc, c.GetProperty("document_id").GetGuid()));
        Assert.All(kept, c => Assert.True(c.GetProperty("relevance").GetDouble() >= Cutoff));
        // The cutoff removes chunks; those left keep their order.
        var order = all.Select(c => c.GetProperty("id").GetGuid()).ToList();
        var keptIds = kept.Select(c => c.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(order.Where(keptIds.Contains), keptIds);
        if (mode == "fulltext")
        {
            // Without a cutoff full-text mode runs no vector leg, so it knows no similarity.
            Assert.All(all, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("relevance").ValueKind));
        }
        else
        {
            Assert.Contains(all, c => c.GetProperty("document_id").GetGuid() != fx.VolcanoDoc);
            Assert.All(all.Where(c => !keptIds.Contains(c.GetProperty("id").GetGuid())), c => Assert.True(c.GetProperty("relevance").GetDouble() < Cutoff));
        }
        Assert.Empty(await SearchAsync(client, new { knowledge_base_ids = new[] { fx.KbA }, query = Question, top_k = 10, mode, min_relevance = 1.0 }));
    }

    [Theory]
    [InlineData("/v1/rag/search", -0.1)]
    [InlineData("/v1/rag/search", 1.5)]
    [InlineData("/v1/rag/chat/completions", -0.1)]
    [InlineData("/v1/rag/chat/completions", 1.5)]
    public async Task A_cutoff_outside_0_to_1_is_400_naming_min_relevance(string path, double value)
    {
        using var client = fx.Rag(fx.TenantA);
        using var response = await client.PostAsJsonAsync(path, new
        {
            query = Question,
            messages = new[] { new { role = "user", content = Question } },
            knowledge_base_ids = new[] { fx.KbA },
            min_relevance = value,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal("min_relevance", error.GetProperty("param").GetString());
        Assert.Contains("between 0 and 1", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_puts_only_chunks_above_the_cutoff_in_the_prompt_and_answers_without_sources_when_none_pass()
    {
        using var client = fx.RagWithModel(fx.TenantA);
        using (var put = await client.PutAsJsonAsync("/v1/rag/templates/sources-only", new { template = SourcesOnlyTemplate }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        async Task<JsonElement> AskAsync(double? minRelevance)
        {
            using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
            {
                messages = new[] { new { role = "user", content = Question } },
                knowledge_base_ids = new[] { fx.KbA }, template = "sources-only", top_k = 5, max_tokens = 8, temperature = 0, min_relevance = minRelevance,
            });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            return JsonDocument.Parse(body).RootElement;
        }

        var unfiltered = (await AskAsync(null)).GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("document_id").GetGuid()).ToList();
        Assert.Contains(unfiltered, d => d != fx.VolcanoDoc);

        var filtered = (await AskAsync(Cutoff)).GetProperty("sources").EnumerateArray().ToList();
        Assert.NotEmpty(filtered);
        Assert.All(filtered, s => Assert.Equal(fx.VolcanoDoc, s.GetProperty("document_id").GetGuid()));
        Assert.All(filtered, s => Assert.True(s.GetProperty("relevance").GetDouble() >= Cutoff));

        // Nothing reaches the cutoff: the model is still asked, with no sources, as for a question nothing matches.
        var none = await AskAsync(1.0);
        Assert.Empty(none.GetProperty("sources").EnumerateArray());
        Assert.Empty(none.GetProperty("citations").EnumerateArray());
        Assert.False(string.IsNullOrEmpty(none.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
    }
}
