using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Builder;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Rag.Tests;

[Collection(nameof(RagCollection))]
public sealed class ChatApiTests(RagFixture fx)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_model_service_down_is_503_with_a_clear_message_not_a_hang(bool stream)
    {
        using var client = fx.RagWithoutInference(fx.TenantA);
        using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Which volcano erupts in Sicily?" } },
            knowledge_base_ids = new[] { fx.KbA },
            stream,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Contains("inference service is unavailable", error.GetProperty("message").GetString());
    }

    /// <summary>
    /// An inference service that lists its model but never answers the chat request: 503 (or, once the stream
    /// has started, an error event) at <c>Rag:RequestTimeout</c>, not a hang.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_model_service_that_never_answers_is_503_at_the_request_timeout(bool stream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var silent = builder.Build();
        silent.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "silent", max_model_len = 2048 } } }));
        silent.MapPost("/v1/chat/completions", async (HttpContext context) => await Task.Delay(Timeout.Infinite, context.RequestAborted));
        await silent.StartAsync();
        await using var rag = fx.CreateRag(fx.IngestionUrl, silent.Urls.First() + "/")
            .WithWebHostBuilder(b => b.UseSetting("Rag:RequestTimeout", "00:00:02"));
        using var client = rag.CreateDefaultClient(Platform.TestKit.SignedCaller.Wrap(Platform.TestKit.SignedCaller.Tenant(fx.TenantA)));
        // A hang fails the test by the client's own timeout; the service's deadline is 2 s.
        client.Timeout = TimeSpan.FromSeconds(60);
        using var response = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            model = "silent",
            messages = new[] { new { role = "user", content = "Which volcano erupts in Sicily?" } },
            knowledge_base_ids = new[] { fx.KbA },
            mode = "fulltext", // this service embeds nothing; full-text retrieval needs no query embedding
            stream,
        });
        var body = await response.Content.ReadAsStringAsync();
        if (stream && response.StatusCode == HttpStatusCode.OK)
        {
            // Headers already went out: the stream ends with an error event instead of hanging.
            Assert.Contains("inference service is unavailable", body);
            return;
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("inference service is unavailable", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"messages":[{"role":"user","content":"  "}]}""", "messages")]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"messages":[]}""", "messages")]
    [InlineData("""{"knowledge_base_ids":["00000000-0000-0000-0000-000000000001"],"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "knowledge_base_ids")]
    public async Task Bad_input_is_400(string json, string field)
    {
        using var client = fx.Rag(fx.TenantA);
        using var response = await client.PostAsync("/v1/rag/chat/completions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("n", "2")]
    [InlineData("response_format", """{"type":"json_object"}""")]
    [InlineData("response_format", "\"json\"")]
    [InlineData("tools", """[{"type":"function","function":{"name":"f"}}]""")]
    [InlineData("logprobs", "true")]
    public async Task An_openai_field_that_would_change_the_answer_is_refused_by_name_not_ignored(string field, string value)
    {
        using var client = fx.Rag(fx.TenantA);
        var json = $$"""{"knowledge_base_ids":["{{fx.KbA}}"],"messages":[{"role":"user","content":"Which volcano erupts in Sicily?"}],"{{field}}":{{value}}}""";
        using var response = await client.PostAsync("/v1/rag/chat/completions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task An_unknown_session_or_template_is_404()
    {
        using var client = fx.Rag(fx.TenantA);
        using var session = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "hi" } }, knowledge_base_ids = new[] { fx.KbA }, session_id = Guid.NewGuid(),
        });
        Assert.Equal(HttpStatusCode.NotFound, session.StatusCode);
        using var template = await client.PostAsJsonAsync("/v1/rag/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "hi" } }, knowledge_base_ids = new[] { fx.KbA }, template = "nope",
        });
        Assert.Equal(HttpStatusCode.NotFound, template.StatusCode);
    }

    [Fact]
    public async Task Templates_are_validated_and_per_tenant()
    {
        using var a = fx.Rag(fx.TenantA);
        using var b = fx.Rag(fx.TenantB);
        using var bad = await a.PutAsJsonAsync("/v1/rag/templates/short", new { template = "no variables here" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var ok = await a.PutAsJsonAsync("/v1/rag/templates/short",
            new { template = "<message role=\"system\">Sources:\n{{$sources}}</message>\n<message role=\"user\">{{$question}}</message>" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/rag/templates/short")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/v1/rag/templates/short")).StatusCode);
        var list = await b.GetFromJsonAsync<JsonElement>("/v1/rag/templates");
        Assert.Equal("default", Assert.Single(list.GetProperty("data").EnumerateArray()).GetProperty("name").GetString());
    }
}
