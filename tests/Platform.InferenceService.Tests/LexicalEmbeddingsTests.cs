using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using Platform.Inference.Embeddings;

namespace Platform.InferenceService.Tests;

/// <summary>
/// /v1/embeddings serves Ingestion's built-in lexical embedders by id, with no model folder: the
/// vectors a knowledge base built with one stores, so clients can embed their own queries.
/// </summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class LexicalEmbeddingsTests(InferenceHost host)
{
    private static readonly string[] Texts = ["The turbine blade showed fatigue cracks.", "Inspect the gearbox oil every month.", "wind"];

    [Theory]
    [InlineData(LexicalEmbedder.DefaultId)]
    [InlineData(LexicalEmbedder.V1Id)]
    [InlineData("platform-lexical-v2-256")]
    public async Task The_official_client_gets_the_vectors_ingestion_stores(string id)
    {
        using var http = host.Client();
        var client = new EmbeddingClient(id, new ApiKeyCredential("unused-the-gateway-signs"),
            new OpenAIClientOptions { Endpoint = new Uri(http.BaseAddress!, "v1"), Transport = new HttpClientPipelineTransport(http) });
        var result = (await client.GenerateEmbeddingsAsync(Texts)).Value;

        var embedder = LexicalEmbedder.FromId(id)!;
        var expected = embedder.Embed(Texts);
        Assert.Equal(id, result.Model);
        Assert.Equal(Texts.Length, result.Count);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(expected[i], result[i].ToFloats().ToArray());
        }
        Assert.Equal(Texts.Sum(embedder.CountTokens), result.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Token_id_input_and_another_size_are_400_naming_the_field()
    {
        using var http = host.Client();
        var tokens = await http.PostAsJsonAsync("/v1/embeddings", new { model = LexicalEmbedder.DefaultId, input = new[] { 1, 2, 3 } });
        Assert.Equal(HttpStatusCode.BadRequest, tokens.StatusCode);
        Assert.Equal("input", (await tokens.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());

        var size = await http.PostAsJsonAsync("/v1/embeddings", new { model = LexicalEmbedder.DefaultId, input = "wind", dimensions = 256 });
        Assert.Equal(HttpStatusCode.BadRequest, size.StatusCode);
        Assert.Equal("dimensions", (await size.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());

        var unknown = await http.PostAsJsonAsync("/v1/embeddings", new { model = "platform-lexical-v9", input = "wind" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
