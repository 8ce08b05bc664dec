using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.InferenceService.Tests;

[Collection(nameof(InferenceHostCollection))]
public sealed class CompletionsApiTests(InferenceHost host)
{
    [Fact]
    public async Task Completion_ReturnsGreedyTextUsageAndFinishReason()
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = "One day, a little girl", max_tokens = 12, temperature = 0 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        var expected = Reference.Greedy("One day, a little girl", 12);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(InferenceHost.Model, body.GetProperty("model").GetString());
        Assert.True(body.GetProperty("created").GetInt64() > 1_700_000_000);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(expected.Text, choice.GetProperty("text").GetString());
        Assert.Equal(expected.FinishReason == Platform.Inference.Generation.FinishReason.Stop ? "stop" : "length", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(expected.PromptTokenIds.Count, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected.TokenIds.Count, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(expected.PromptTokenIds.Count + expected.TokenIds.Count, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_AcceptsTokenIdPrompt()
    {
        using var http = host.Client();
        var prompt = Reference.Model.Tokenizer.Encode("The sun was");
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt, max_tokens = 8, temperature = 0 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Reference.Greedy(prompt, 8).Text, body.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task StreamingCompletion_SendsChunksUsageAndDone()
    {
        using var http = host.Client();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = InferenceHost.Model, prompt = "Tom had a red ball", max_tokens = 16, temperature = 0, stream = true, stream_options = new { include_usage = true } }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await SseEvents(response);

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        var text = string.Concat(chunks[..^1].Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        var expected = Reference.Greedy("Tom had a red ball", 16);
        Assert.Equal(expected.Text, text);
        Assert.Equal(expected.TokenIds.Count, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.NotNull(chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(chunks[..^2], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
    }

    [Fact]
    public async Task StreamingChat_WithoutIncludeUsage_HasNoUsageChunk()
    {
        using var http = host.Client();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = InferenceHost.Model, messages = new[] { new { role = "user", content = "A dog" } }, max_tokens = 6, temperature = 0, stream = true }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var events = await SseEvents(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal(Reference.Greedy("A dog", 6).Text,
            string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : "")));
    }

    [Fact]
    public async Task Models_ListsServedModelsAndAdapters()
    {
        using var http = host.Client();
        var body = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("list", body.GetProperty("object").GetString());
        var ids = body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains(InferenceHost.Model, ids);
        var card = body.GetProperty("data").EnumerateArray().First(m => m.GetProperty("id").GetString() == InferenceHost.Model);
        Assert.Equal(512, card.GetProperty("max_model_len").GetInt32());
        Assert.Equal("model", card.GetProperty("object").GetString());
    }

    internal static async Task<List<string>> SseEvents(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => Assert.Single(e.Split('\n'), l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])
            .ToList();
    }
}
