using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.Inference.Embeddings;
using Platform.TestKit;

namespace Platform.InferenceService.Tests;

[Collection(nameof(InferenceHostCollection))]
public sealed class ErrorTests(InferenceHost host)
{
    [Fact]
    public async Task UnknownModel_Is404InOpenAiShape()
    {
        var error = await Error(await Post("/v1/chat/completions", new { model = "no-such-model", messages = new[] { new { role = "user", content = "hi" } } }), HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("no-such-model", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownAdapter_Is404()
    {
        var error = await Error(await Post("/v1/completions", new { model = InferenceHost.Model + ":missing-adapter", prompt = "hi" }), HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("missing-adapter", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptLongerThanContext_Is400NamingBothLengths()
    {
        var prompt = string.Join(' ', Enumerable.Repeat("Once upon a time there was a little dog.", 80));
        var tokens = Reference.Model.Tokenizer.Encode(prompt).Count;
        var error = await Error(await Post("/v1/completions", new { model = InferenceHost.Model, prompt }), HttpStatusCode.BadRequest);
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("512", message, StringComparison.Ordinal);
        Assert.Contains(tokens.ToString(System.Globalization.CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PromptPlusMaxTokensOverContext_Is400NamingBothLengths()
    {
        var error = await Error(await Post("/v1/completions", new { model = InferenceHost.Model, prompt = "The cat", max_tokens = 600 }), HttpStatusCode.BadRequest);
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("512", message, StringComparison.Ordinal);
        Assert.Contains("600 in the completion", message, StringComparison.Ordinal);
        Assert.Equal("max_tokens", error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("temperature", -1.0)]
    [InlineData("top_p", 0.0)]
    [InlineData("presence_penalty", 3.0)]
    [InlineData("max_tokens", 0)]
    public async Task InvalidSampling_Is400NamingTheField(string field, double value)
    {
        var body = new Dictionary<string, object> { ["model"] = InferenceHost.Model, ["prompt"] = "hi", [field] = value };
        var error = await Error(await Post("/v1/completions", body), HttpStatusCode.BadRequest);
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.StartsWith(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongJsonType_Is400NamingTheField()
    {
        using var http = host.Client();
        var response = await http.PostAsync("/v1/completions", new StringContent("{\"model\":\"stories\",\"prompt\":\"hi\",\"temperature\":\"hot\"}", Encoding.UTF8, "application/json"));
        var error = await Error(response, HttpStatusCode.BadRequest);
        Assert.Equal("temperature", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task BodyOverLimit_Is413()
    {
        var prompt = new string('a', InferenceHost.BodyLimit + 10);
        var error = await Error(await Post("/v1/completions", new { model = InferenceHost.Model, prompt }), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("limit", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsignedCaller_Is401_AndMissingScope_Is403()
    {
        using var anonymous = host.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = "hi" });
        await Error(response, HttpStatusCode.Unauthorized);

        using var ragOnly = host.Client(SignedCaller.Tenant(Guid.NewGuid(), "rag"));
        await Error(await ragOnly.GetAsync("/v1/models"), HttpStatusCode.Forbidden);
        await Error(await ragOnly.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = "hi" }), HttpStatusCode.Forbidden);

        // Embeddings also take the RAG scope: the RAG service embeds its callers' questions here as them.
        using var embedded = await ragOnly.PostAsJsonAsync("/v1/embeddings", new { model = LexicalEmbedder.DefaultId, input = "wind" });
        Assert.Equal(HttpStatusCode.OK, embedded.StatusCode);
        using var ingestOnly = host.Client(SignedCaller.Tenant(Guid.NewGuid(), "ingest"));
        var refused = await Error(await ingestOnly.PostAsJsonAsync("/v1/embeddings", new { model = LexicalEmbedder.DefaultId, input = "wind" }), HttpStatusCode.Forbidden);
        Assert.Contains("'inference' or 'rag' scope", refused.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRequests_DoNotDisturbOthers()
    {
        using var http = host.Client();
        var good = http.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = "The bird", max_tokens = 20, temperature = 0 });
        var bad = Enumerable.Range(0, 5).Select(_ => Post("/v1/completions", new { model = InferenceHost.Model, prompt = "x", top_p = 7 })).ToList();
        foreach (var b in bad)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await b).StatusCode);
        }
        var body = await (await good).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Reference.Greedy("The bird", 20).Text, body.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    private async Task<HttpResponseMessage> Post(string path, object body)
    {
        using var http = host.Client();
        return await http.PostAsJsonAsync(path, body);
    }

    private static async Task<JsonElement> Error(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var error = body.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        return error;
    }
}
