using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using Platform.Inference.Embeddings;

namespace Platform.InferenceService.Tests;

/// <summary>POST /v1/embeddings: the official OpenAI client and raw JSON against the encoder library's own output.</summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class EmbeddingsTests(InferenceHost host) : IDisposable
{
    private static readonly string[] Texts = ["the keeper saw birds", "a calm sea .", "lighthouse"];

    private readonly string _referenceDir = Directory.CreateTempSubdirectory("bert-reference-").FullName;
    private SentenceTransformer? _model;

    // The same random weights as the host's model, loaded by the library directly.
    private SentenceTransformer Encoder => _model ??= SentenceTransformer.Load(TestBert.Write(Path.Combine(_referenceDir, InferenceHost.EmbeddingModel)));

    private EmbeddingClient Client(HttpClient http) => new(InferenceHost.EmbeddingModel, new ApiKeyCredential("unused-the-gateway-signs"),
        new OpenAIClientOptions { Endpoint = new Uri(http.BaseAddress!, "v1"), Transport = new HttpClientPipelineTransport(http) });

    [Fact]
    public async Task OfficialClient_EmbedsTexts_EqualToTheEncoder()
    {
        using var http = host.Client();
        var result = (await Client(http).GenerateEmbeddingsAsync(Texts)).Value;

        var expected = Encoder.Embed(Texts);
        Assert.Equal(Texts.Length, result.Count);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(i, result[i].Index);
            AssertClose(expected[i], result[i].ToFloats().ToArray());
        }
        Assert.Equal(InferenceHost.EmbeddingModel, result.Model);
        Assert.Equal(Texts.Sum(Encoder.CountTokens), result.Usage.InputTokenCount);
        Assert.Equal(result.Usage.InputTokenCount, result.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task OfficialClient_Dimensions_NativeSizeAccepted_OtherRefused()
    {
        using var http = host.Client();
        var client = Client(http);
        var same = (await client.GenerateEmbeddingAsync(Texts[0], new EmbeddingGenerationOptions { Dimensions = TestBert.Hidden })).Value;
        AssertClose(Encoder.Embed([Texts[0]])[0], same.ToFloats().ToArray());

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.GenerateEmbeddingAsync(Texts[0], new EmbeddingGenerationOptions { Dimensions = 8 }));
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task FloatFormat_TokenArrays_EqualTheirTexts()
    {
        using var http = host.Client();
        var tokens = Texts.Select(Encoder.Encode).ToArray();
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = InferenceHost.EmbeddingModel, input = tokens, encoding_format = "float" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal(InferenceHost.EmbeddingModel, body.GetProperty("model").GetString());
        var data = body.GetProperty("data").EnumerateArray().ToList();
        var expected = Encoder.Embed(Texts);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            AssertClose(expected[i], data[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        }
        Assert.Equal(tokens.Sum(t => t.Count), body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Base64Format_IsLittleEndianFloat32()
    {
        using var http = host.Client();
        var body = await Post(http, new { model = InferenceHost.EmbeddingModel, input = Texts[2], encoding_format = "base64" });
        var bytes = Convert.FromBase64String(body.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        var floats = Enumerable.Range(0, bytes.Length / 4).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4))).ToArray();
        AssertClose(Encoder.Embed([Texts[2]])[0], floats);
    }

    [Fact]
    public async Task SingleString_AndOneTokenList_GiveOneVector()
    {
        using var http = host.Client();
        var fromText = await Post(http, new { model = InferenceHost.EmbeddingModel, input = Texts[1] });
        var fromTokens = await Post(http, new { model = InferenceHost.EmbeddingModel, input = Encoder.Encode(Texts[1]) });
        var expected = Encoder.Embed([Texts[1]])[0];
        AssertClose(expected, Vector(fromText));
        AssertClose(expected, Vector(fromTokens));
    }

    [Fact]
    public async Task Models_ListsTheEmbeddingModel_BesideTheLanguageModel()
    {
        using var http = host.Client();
        var body = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        var cards = body.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.True(cards.ContainsKey(InferenceHost.Model));
        Assert.Equal(TestBert.MaxSequence - 2, cards[InferenceHost.EmbeddingModel].GetProperty("max_model_len").GetInt32());
    }

    [Theory]
    [InlineData("""{"model":"bert-test","input":""}""", "input")]
    [InlineData("""{"model":"bert-test","input":[]}""", "input")]
    [InlineData("""{"model":"bert-test","input":["the sea",""]}""", "input[1]")]
    [InlineData("""{"model":"bert-test","input":[[5,6],[]]}""", "input[1]")]
    [InlineData("""{"model":"bert-test"}""", "input")]
    [InlineData("""{"model":"bert-test","input":["the sea",7]}""", "input[1]")]
    [InlineData("""{"model":"bert-test","input":[5,-1]}""", "input[1]")]
    [InlineData("""{"model":"bert-test","input":[5,99]}""", "input")]
    [InlineData("""{"model":"bert-test","input":"the sea","encoding_format":"int8"}""", "encoding_format")]
    [InlineData("""{"input":"the sea"}""", "model")]
    public async Task BadInput_Is400NamingTheField(string json, string param)
    {
        using var http = host.Client();
        using var response = await http.PostAsync("/v1/embeddings", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var error = await Error(response, HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task InputLongerThanTheModelAccepts_Is400NamingBothLengths()
    {
        using var http = host.Client();
        var text = string.Join(' ', Enumerable.Repeat("the keeper saw birds", 5));
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = InferenceHost.EmbeddingModel, input = new[] { "the sea", text } });
        var error = await Error(response, HttpStatusCode.BadRequest);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("input[1]", error.GetProperty("param").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains(Encoder.CountTokens(text).ToString(System.Globalization.CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        Assert.Contains((TestBert.MaxSequence - 2).ToString(System.Globalization.CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownModel_Is404InOpenAiShape_AndALanguageModelIsNoEmbeddingModel()
    {
        using var http = host.Client();
        foreach (var model in new[] { "no-such-encoder", InferenceHost.Model })
        {
            using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model, input = "the sea" });
            var error = await Error(response, HttpStatusCode.NotFound);
            Assert.Equal("model_not_found", error.GetProperty("code").GetString());
            Assert.Equal("model", error.GetProperty("param").GetString());
        }
    }

    public void Dispose()
    {
        _model?.Dispose();
        Directory.Delete(_referenceDir, recursive: true);
    }

    private static async Task<JsonElement> Post(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync("/v1/embeddings", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static float[] Vector(JsonElement body)
    {
        var data = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Single(data);
        return [.. data[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
    }

    private static async Task<JsonElement> Error(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        return error;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
