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
        using var client = fx.Rag(fx.TenantA);
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
