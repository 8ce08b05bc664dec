extern alias rag;

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.TestKit;
using rag::Platform.Services.Rag.Clients;

namespace Platform.Rag.Tests;

/// <summary>
/// The query of the vector leg embedded by the Kernel's embedding generator (the real Inference service's
/// /v1/embeddings, the knowledge base's embedder) gives exactly what Ingestion's own embedding of the text gave
/// (Rag:QueryEmbedding = ingestion, today's path), once per embedder; without Inference vector and hybrid search are 503.
/// </summary>
[Collection(nameof(RagCollection))]
public sealed class KernelQueryEmbeddingTests(RagFixture fx)
{
    private const string Question = "Which volcano in Sicily erupts lava?";

    private static async Task<List<JsonElement>> SearchAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/v1/rag/search", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("data").EnumerateArray().ToList();
    }

    private static void AssertSameResults(IReadOnlyList<JsonElement> expected, IReadOnlyList<JsonElement> actual)
    {
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(c => c.GetProperty("id").GetGuid()), actual.Select(c => c.GetProperty("id").GetGuid()));
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal(e.GetProperty("score").GetDouble(), a.GetProperty("score").GetDouble(), 1e-5);
            var (er, ar) = (e.GetProperty("relevance"), a.GetProperty("relevance"));
            Assert.Equal(er.ValueKind, ar.ValueKind);
            if (er.ValueKind == JsonValueKind.Number)
            {
                Assert.Equal(er.GetDouble(), ar.GetDouble(), 1e-5);
            }
        }
    }

    /// <summary>A Rag host on the real Inference service that records the model of every embeddings call it makes.</summary>
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<rag::Program> RecordingRag(ConcurrentQueue<string> embeddingCalls,
        string queryEmbedding = "inference") =>
        fx.CreateRag(fx.IngestionUrl, fx.InferenceUrl).WithWebHostBuilder(b => b.UseSetting("Rag:QueryEmbedding", queryEmbedding).ConfigureTestServices(services =>
            services.AddHttpClient(ServiceClients.Inference).AddHttpMessageHandler(() => new EmbeddingCallRecorder(embeddingCalls))));

    [Theory]
    [InlineData("vector", null)]
    [InlineData("hybrid", null)]
    [InlineData("hybrid", 0.15)]
    [InlineData("fulltext", 0.15)]
    public async Task Kernel_embedded_results_equal_ingestion_embedded_results(string mode, double? minRelevance)
    {
        var calls = new ConcurrentQueue<string>();
        await using var kernelRag = RecordingRag(calls);
        var none = new ConcurrentQueue<string>();
        await using var ingestionRag = RecordingRag(none, "ingestion");
        using var byKernel = kernelRag.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(fx.TenantA)));
        using var byIngestion = ingestionRag.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(fx.TenantA)));
        var body = new { knowledge_base_ids = new[] { fx.KbA }, query = Question, top_k = 10, mode, min_relevance = minRelevance };

        var expected = await SearchAsync(byIngestion, body);
        Assert.Empty(none);
        var actual = await SearchAsync(byKernel, body);

        AssertSameResults(expected, actual);
        Assert.Equal(fx.VolcanoDoc, actual[0].GetProperty("document_id").GetGuid());
        Assert.Equal(["platform-lexical-v2"], calls);
    }

    [Fact]
    public async Task Vector_relevance_equals_ingestions_own_score_for_the_text()
    {
        using var rag = fx.Rag(fx.TenantA);
        using var ingestion = fx.IngestionFor(fx.TenantA);
        var actual = await SearchAsync(rag, new { knowledge_base_ids = new[] { fx.KbA }, query = Question, top_k = 10, mode = "vector" });
        using var response = await ingestion.PostAsJsonAsync($"v1/knowledge-bases/{fx.KbA}/search", new { query = Question, top_k = 10, mode = "vector" });
        var expected = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").EnumerateArray().ToList();

        Assert.Equal(expected.Select(c => c.GetProperty("id").GetGuid()), actual.Select(c => c.GetProperty("id").GetGuid()));
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First.GetProperty("score").GetDouble(), p.Second.GetProperty("relevance").GetDouble(), 1e-5));
    }

    [Fact]
    public async Task The_query_is_embedded_once_per_distinct_embedder_and_chat_embeds_with_the_same_kernel()
    {
        var tenant = Guid.NewGuid();
        using var ingestion = fx.IngestionFor(tenant);
        var v2a = await RagFixture.CreateKbAsync(ingestion, "v2-a");
        var v2b = await RagFixture.CreateKbAsync(ingestion, "v2-b");
        using var created = await ingestion.PostAsJsonAsync("v1/knowledge-bases", new { name = "v1", embedding_model = "platform-lexical-v1", chunk_tokens = 64, chunk_overlap = 8 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var v1 = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var volcano = await RagFixture.UploadReadyAsync(ingestion, v1, "volcanoes.md", TestTexts.Volcanoes);
        await RagFixture.UploadReadyAsync(ingestion, v2a, "baking.md", TestTexts.Baking);
        await RagFixture.UploadReadyAsync(ingestion, v2b, "rivers.md", TestTexts.Rivers);

        var calls = new ConcurrentQueue<string>();
        await using var kernelRag = RecordingRag(calls);
        var none = new ConcurrentQueue<string>();
        await using var ingestionRag = RecordingRag(none, "ingestion");
        using var byKernel = kernelRag.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenant)));
        using var byIngestion = ingestionRag.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(tenant)));
        var body = new { knowledge_base_ids = new[] { v2a, v1, v2b }, query = Question, top_k = 10, mode = "vector" };

        var actual = await SearchAsync(byKernel, body);
        AssertSameResults(await SearchAsync(byIngestion, body), actual);
        Assert.Empty(none);
        Assert.Equal(volcano, actual[0].GetProperty("document_id").GetGuid());
        Assert.Equal(["platform-lexical-v1", "platform-lexical-v2"], calls.Order(StringComparer.Ordinal));

        // Chat retrieves through the Kernel that also holds its chat completion service.
        using var template = await byKernel.PutAsJsonAsync("/v1/rag/templates/short",
            new { template = "<message role=\"system\">Sources:\n{{$sources}}</message>\n<message role=\"user\">{{$question}}</message>" });
        Assert.Equal(HttpStatusCode.OK, template.StatusCode);
        calls.Clear();
        using var chat = await byKernel.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            model = RagFixture.Model, messages = new[] { new { role = "user", content = Question } }, knowledge_base_ids = new[] { v1 },
            mode = "vector", template = "short", top_k = 1, max_tokens = 4, temperature = 0,
        });
        var answer = await chat.Content.ReadAsStringAsync();
        Assert.True(chat.StatusCode == HttpStatusCode.OK, answer);
        Assert.Equal(volcano, JsonDocument.Parse(answer).RootElement.GetProperty("sources")[0].GetProperty("document_id").GetGuid());
        Assert.Equal(["platform-lexical-v1"], calls);
    }

    [Theory]
    [InlineData("hybrid", null)]
    [InlineData("vector", null)]
    [InlineData("fulltext", 0.15)]
    public async Task Inference_down_makes_search_that_needs_a_query_vector_503_with_a_clear_message(string mode, double? minRelevance)
    {
        using var client = fx.RagWithoutInference(fx.TenantA);
        using var response = await client.PostAsJsonAsync("/v1/rag/search",
            new { knowledge_base_ids = new[] { fx.KbA }, query = Question, mode, min_relevance = minRelevance });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal("upstream_unavailable", error.GetProperty("code").GetString());
        Assert.Contains("inference service is unavailable", error.GetProperty("message").GetString());
        Assert.Contains("embedded", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Inference_down_leaves_full_text_search_working_and_a_missing_knowledge_base_404()
    {
        using var client = fx.RagWithoutInference(fx.TenantA);
        var data = await SearchAsync(client, new { knowledge_base_ids = new[] { fx.KbA }, query = Question, mode = "fulltext" });
        Assert.Equal(fx.VolcanoDoc, data[0].GetProperty("document_id").GetGuid());
        using var missing = await client.PostAsJsonAsync("/v1/rag/search", new { knowledge_base_ids = new[] { Guid.NewGuid() }, query = Question });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_caller_with_the_rag_scope_alone_searches_by_vector_as_before_the_kernel_embedded_queries()
    {
        // Inference takes the RAG scope on /v1/embeddings (only there), so a RAG-only key keeps its search.
        using var ragOnly = fx.Rag(fx.TenantA, "rag");
        using var full = fx.Rag(fx.TenantA);
        foreach (var mode in new[] { "vector", "hybrid" })
        {
            var request = new { knowledge_base_ids = new[] { fx.KbA }, query = Question, mode };
            var scoped = await SearchAsync(ragOnly, request);
            AssertSameResults(await SearchAsync(full, request), scoped);
            Assert.Equal(fx.VolcanoDoc, scoped[0].GetProperty("document_id").GetGuid());
        }
    }

    [Fact]
    public async Task An_embedding_of_the_wrong_dimension_is_503_naming_both_dimensions()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var wrong = builder.Build();
        wrong.MapPost("/v1/embeddings", () => Results.Json(new
        {
            @object = "list", model = "platform-lexical-v2", data = new[] { new { @object = "embedding", index = 0, embedding = new[] { 0.6f, 0.8f, 0f } } },
            usage = new { prompt_tokens = 1, total_tokens = 1 },
        }));
        await wrong.StartAsync();
        await using var rag = fx.CreateRag(fx.IngestionUrl, wrong.Urls.First() + "/");
        using var client = rag.CreateDefaultClient(SignedCaller.Wrap(SignedCaller.Tenant(fx.TenantA)));
        using var response = await client.PostAsJsonAsync("/v1/rag/search", new { knowledge_base_ids = new[] { fx.KbA }, query = Question, mode = "vector" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("in 3 dimensions", body);
        Assert.Contains("1024", body);
    }

    /// <summary>Records the model of every POST /v1/embeddings the Rag host sends to Inference.</summary>
    private sealed class EmbeddingCallRecorder(ConcurrentQueue<string> calls) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/v1/embeddings", StringComparison.Ordinal) && request.Content is not null)
            {
                var body = JsonDocument.Parse(await request.Content.ReadAsStringAsync(ct)).RootElement;
                calls.Enqueue(body.GetProperty("model").GetString()!);
            }
            return await base.SendAsync(request, ct);
        }
    }
}
