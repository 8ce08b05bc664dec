using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Platform.Inference.Generation;

namespace Platform.InferenceService.Tests;

[Collection(nameof(InferenceHostCollection))]
public sealed class LogprobsTests(InferenceHost host)
{
    private static GenerationResult Expected(string prompt, int max, int top) =>
        Reference.Greedy(Reference.Model.Tokenizer.Encode(prompt), max, top);

    [Fact]
    public async Task Completion_Logprobs_EqualEngineCore()
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = "The cat sat", max_tokens = 8, temperature = 0, logprobs = 3 });
        var logprobs = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0].GetProperty("logprobs");

        var expected = Expected("The cat sat", 8, 3);
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal(expected.Tokens.Count, values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            Assert.Equal(expected.Tokens[i].Logprob!.Value, values[i], 4);
            Assert.Equal(3, logprobs.GetProperty("top_logprobs")[i].EnumerateObject().Count());
        }
        Assert.Equal(values.Count, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(0, logprobs.GetProperty("text_offset")[0].GetInt32());
    }

    [Fact]
    public async Task OfficialClient_ReadsChatLogprobs()
    {
        using var http = host.Client();
        var client = new ChatClient(InferenceHost.Model, new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(http.BaseAddress!, "v1"), Transport = new HttpClientPipelineTransport(http) });
        var completion = (await client.CompleteChatAsync([new UserChatMessage("A big dog")],
            new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 2 })).Value;

        var expected = Expected("A big dog", 6, 2);
        Assert.Equal(expected.Tokens.Count, completion.ContentTokenLogProbabilities.Count);
        for (var i = 0; i < expected.Tokens.Count; i++)
        {
            var actual = completion.ContentTokenLogProbabilities[i];
            Assert.Equal(expected.Tokens[i].Logprob!.Value, actual.LogProbability, 4);
            Assert.Equal(2, actual.TopLogProbabilities.Count);
            Assert.True(actual.TopLogProbabilities[0].LogProbability >= actual.TopLogProbabilities[1].LogProbability);
        }
    }

    [Fact]
    public async Task TopLogprobsWithoutLogprobs_Is400()
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = InferenceHost.Model, messages = new[] { new { role = "user", content = "hi" } }, top_logprobs = 2 });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("top_logprobs", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
    }
}
