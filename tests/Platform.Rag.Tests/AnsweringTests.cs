using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Rag.Tests;

/// <summary>
/// Answers from the real Inference service (stories260K, a 260K-parameter story model: its text is
/// not a real answer and rarely contains [n] markers, so citations are asserted for shape only;
/// the marker → chunk mapping is covered by the unit tests).
/// </summary>
[Collection(nameof(RagCollection))]
public sealed class AnsweringTests(RagFixture fx)
{
    private const string ShortTemplate = "<message role=\"system\">Sources:\n{{$sources}}</message>\n{{$history}}\n<message role=\"user\">{{$question}}</message>";

    private async Task<HttpClient> ClientWithShortTemplateAsync(Guid tenant)
    {
        var client = fx.RagWithModel(tenant);
        using var put = await client.PutAsJsonAsync("/v1/rag/templates/short", new { template = ShortTemplate });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return client;
    }

    [Fact]
    public async Task A_non_streaming_answer_carries_sources_citations_and_a_session_that_keeps_history()
    {
        using var client = await ClientWithShortTemplateAsync(fx.TenantA);
        using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Which volcano erupts lava in Sicily?" } },
            knowledge_base_ids = new[] { fx.KbA }, template = "short", top_k = 2, max_tokens = 16, temperature = 0,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal(RagFixture.Model, root.GetProperty("model").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
        Assert.Equal(JsonValueKind.Array, root.GetProperty("citations").ValueKind);
        var sources = root.GetProperty("sources").EnumerateArray().ToList();
        Assert.NotEmpty(sources);
        Assert.Equal(fx.VolcanoDoc, sources[0].GetProperty("document_id").GetGuid());
        var session = root.GetProperty("session_id").GetGuid();

        var stored = await client.GetFromJsonAsync<JsonElement>($"/v1/rag/sessions/{session}");
        Assert.Equal(["user", "assistant"], stored.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()!).ToArray());

        using var followUp = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "And how often?" } },
            knowledge_base_ids = new[] { fx.KbA }, template = "short", top_k = 1, max_tokens = 8, session_id = session,
        });
        Assert.Equal(HttpStatusCode.OK, followUp.StatusCode);
        stored = await client.GetFromJsonAsync<JsonElement>($"/v1/rag/sessions/{session}");
        Assert.Equal(4, stored.GetProperty("messages").GetArrayLength());

        // Another tenant cannot read or continue the session.
        using var other = fx.RagWithModel(fx.TenantB);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/rag/sessions/{session}")).StatusCode);
    }

    [Fact]
    public async Task A_streamed_answer_ends_with_an_event_carrying_citations_then_done()
    {
        using var client = await ClientWithShortTemplateAsync(fx.TenantA);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/rag/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                messages = new[] { new { role = "user", content = "How is sourdough bread baked?" } },
                knowledge_base_ids = new[] { fx.KbA }, template = "short", top_k = 2, max_tokens = 12, stream = true,
            }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var last = chunks[^1];
        Assert.Equal("stop", last.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Array, last.GetProperty("citations").ValueKind);
        Assert.Equal(fx.BakingDoc, last.GetProperty("sources")[0].GetProperty("document_id").GetGuid());
        Assert.True(last.TryGetProperty("session_id", out _));
        Assert.True(chunks.Count > 2, "expected at least one content delta");
    }

    [Fact]
    public async Task A_question_longer_than_the_context_is_400_naming_the_limit()
    {
        using var client = fx.RagWithModel(fx.TenantA);
        var question = string.Join(' ', Enumerable.Repeat("volcano", 600)) + "?";
        using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            messages = new[] { new { role = "user", content = question } }, knowledge_base_ids = new[] { fx.KbA },
        });
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("512", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_question_about_another_tenants_document_gets_no_source_from_it()
    {
        using var client = await ClientWithShortTemplateAsync(fx.TenantA);
        using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "What is the launch code of Project Zephyr?" } },
            knowledge_base_ids = new[] { fx.KbA }, template = "short", top_k = 3, max_tokens = 8,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("7731", body);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.All(root.GetProperty("sources").EnumerateArray(), s => Assert.Equal(fx.KbA, s.GetProperty("knowledge_base_id").GetGuid()));
    }

    [Fact]
    public async Task An_unknown_model_is_404()
    {
        using var client = fx.RagWithModel(fx.TenantA);
        using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            model = "gpt-nope", messages = new[] { new { role = "user", content = "hi" } }, knowledge_base_ids = new[] { fx.KbA },
        });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_llm_cache_is_opt_in_per_tenant_and_serves_the_same_answer_until_its_ttl()
    {
        var tenant = Guid.NewGuid();
        using var ingestion = fx.IngestionFor(tenant);
        var kb = await RagFixture.CreateKbAsync(ingestion, "cache-kb");
        await RagFixture.UploadReadyAsync(ingestion, kb, "volcanoes.md", TestTexts.Volcanoes);
        using var client = await ClientWithShortTemplateAsync(tenant);
        var body = new
        {
            messages = new[] { new { role = "user", content = "Which volcano erupts lava in Sicily?" } },
            knowledge_base_ids = new[] { kb }, template = "short", top_k = 1, max_tokens = 12, temperature = 1.0,
        };
        async Task<(string? Header, JsonElement Root)> AskAsync()
        {
            using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var header = response.Headers.TryGetValues("X-Rag-Cache", out var values) ? values.Single() : null;
            return (header, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
        }

        var (off, _) = await AskAsync();
        Assert.Null(off); // not opted in: no cache at all

        using var bad = await client.PutAsJsonAsync("/v1/rag/settings", new { llm_cache = new { enabled = true, ttl_seconds = 0 } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var on = await client.PutAsJsonAsync("/v1/rag/settings", new { llm_cache = new { enabled = true, ttl_seconds = 300 } });
        Assert.Equal(HttpStatusCode.OK, on.StatusCode);

        var (first, firstRoot) = await AskAsync();
        var (second, secondRoot) = await AskAsync();
        Assert.Equal("miss", first);
        Assert.Equal("hit", second);
        Assert.True(secondRoot.GetProperty("cached").GetBoolean());
        Assert.Equal(Answer(firstRoot), Answer(secondRoot));

        var redis = fx.Redis;
        var keys = redis.GetServers()[0].Keys(pattern: Platform.Rag.LlmCacheKey.Prefix + tenant.ToString("N") + ":*").ToList();
        var key = Assert.Single(keys);
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value.TotalSeconds, 1, 300);

        // Expired (or removed) entries are misses again.
        await redis.GetDatabase().KeyDeleteAsync(key);
        Assert.Equal("miss", (await AskAsync()).Header);
    }

    private static string? Answer(JsonElement root) => root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
}
