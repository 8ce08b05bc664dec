using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.InferenceService.Tests;

/// <summary>
/// <c>echo</c> on /v1/completions: the prompt leads the text, and with <c>logprobs</c> the prompt's tokens lead the
/// logprobs (the first with none), which is how evaluation harnesses score a prompt.
/// </summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class EchoTests(InferenceHost host)
{
    private const string Prompt = "The little girl named Lily went to the park";

    [Fact]
    public async Task Echo_WithLogprobs_LeadsWithThePromptAndItsLogprobs()
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions",
            new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 4, temperature = 0, logprobs = 2, echo = true });
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var choice = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0];
        var logprobs = choice.GetProperty("logprobs");

        var promptTokens = Reference.Model.Tokenizer.Encode(Prompt);
        var completion = Reference.Greedy(promptTokens, 4);
        Assert.Equal(Prompt + completion.Text, choice.GetProperty("text").GetString());
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().ToList();
        Assert.Equal(promptTokens.Count + 4, values.Count);
        Assert.Equal(values.Count, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, values[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, logprobs.GetProperty("top_logprobs")[0].ValueKind);
        var expected = PromptLogprobsTests.Expected(promptTokens);
        for (var i = 1; i < promptTokens.Count; i++)
        {
            Assert.Equal(expected[i - 1], values[i].GetDouble(), 3);
            Assert.Equal(2, logprobs.GetProperty("top_logprobs")[i].EnumerateObject().Count());
        }
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        Assert.Equal(offsets.Order(), offsets);
    }

    [Fact]
    public async Task Echo_WithNoTokens_ScoresThePromptOnly()
    {
        using var http = host.Client();
        var body = await (await http.PostAsJsonAsync("/v1/completions",
            new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 0, logprobs = 1, echo = true })).Content.ReadFromJsonAsync<JsonElement>();
        var choice = body.GetProperty("choices")[0];
        var promptTokens = Reference.Model.Tokenizer.Encode(Prompt);

        Assert.Equal(Prompt, choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(promptTokens.Count, choice.GetProperty("logprobs").GetProperty("tokens").GetArrayLength());
        Assert.Equal(0, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(promptTokens.Count, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 0, logprobs = 1, echo = true, stream = true }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var chunks = (await CompletionsApiTests.SseEvents(response)).Where(e => e != "[DONE]")
            .Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0]).ToList();
        Assert.Equal(Prompt, string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
        Assert.Equal(promptTokens.Count, chunks.Sum(c => c.GetProperty("logprobs").GetProperty("tokens").GetArrayLength()));
    }

    [Fact]
    public async Task NoTokens_WithoutEcho_Is400NamingMaxTokens()
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 0 });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("max_tokens", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Echo_Streamed_SendsThePromptFirst_AndTheSameTextAsWhole()
    {
        using var http = host.Client();
        var whole = await (await http.PostAsJsonAsync("/v1/completions",
            new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 6, temperature = 0, echo = true })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, whole.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 6, temperature = 0, echo = true, stream = true }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var texts = (await CompletionsApiTests.SseEvents(response)).Where(e => e != "[DONE]")
            .Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")).Where(c => c.GetArrayLength() > 0)
            .Select(c => c[0].GetProperty("text").GetString()!).ToList();

        Assert.StartsWith(Prompt, texts[0], StringComparison.Ordinal);
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), string.Concat(texts));
    }
}
