using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.InferenceService.Tests;

/// <summary>OpenAI's n: n choices, each its own sequence; with a seed, choice i is what seed + i gives alone; the prompt is counted once.</summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class ChoicesTests(InferenceHost host)
{
    private const string Prompt = "Once upon a time";

    [Fact]
    public async Task Seeded_choices_equal_single_requests_with_seed_plus_their_index_and_usage_sums_them()
    {
        using var http = host.Client();
        var body = await PostAsync(http, new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 12, temperature = 1.0, seed = 5, n = 3, ignore_eos = true });
        var choices = body.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], choices.Select(c => c.GetProperty("index").GetInt32()));
        for (var i = 0; i < 3; i++)
        {
            var alone = await PostAsync(http, new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 12, temperature = 1.0, seed = 5 + i, ignore_eos = true });
            Assert.Equal(alone.GetProperty("choices")[0].GetProperty("text").GetString(), choices[i].GetProperty("text").GetString());
        }
        // Three seeds at temperature 1 over a 512-token vocabulary: at least two of the texts differ.
        Assert.True(choices.Select(c => c.GetProperty("text").GetString()).Distinct().Count() > 1);
        var usage = body.GetProperty("usage");
        var prompt = Reference.Model.Tokenizer.Encode(Prompt).Count;
        Assert.Equal(prompt, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(36, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(prompt + 36, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Streamed_chat_choices_each_start_with_the_role_and_end_with_their_own_finish()
    {
        using var http = host.Client();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = InferenceHost.Model,
                messages = new[] { new { role = "user", content = Prompt } },
                max_tokens = 10, temperature = 0, n = 2, stream = true, stream_options = new { include_usage = true },
            }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await CompletionsApiTests.SseEvents(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var usage = chunks[^1].GetProperty("usage");
        var byChoice = chunks[..^1].Select(c => c.GetProperty("choices")[0]).GroupBy(c => c.GetProperty("index").GetInt32()).OrderBy(g => g.Key).ToList();
        Assert.Equal([0, 1], byChoice.Select(g => g.Key));
        var texts = new List<string>();
        foreach (var choice in byChoice)
        {
            var deltas = choice.ToList();
            Assert.Equal("assistant", deltas[0].GetProperty("delta").GetProperty("role").GetString());
            Assert.NotNull(deltas[^1].GetProperty("finish_reason").GetString());
            Assert.All(deltas[..^1], d => Assert.Equal(JsonValueKind.Null, d.GetProperty("finish_reason").ValueKind));
            texts.Add(string.Concat(deltas.Select(d => d.GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : "")));
        }
        // Greedy: both choices are the same answer, and the usage counts both completions.
        Assert.Equal(texts[0], texts[1]);
        Assert.NotEmpty(texts[0]);
        var oneCompletion = usage.GetProperty("completion_tokens").GetInt32() / 2;
        Assert.Equal(2 * oneCompletion, usage.GetProperty("completion_tokens").GetInt32());
        Assert.InRange(oneCompletion, 1, 10);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public async Task N_outside_one_to_sixteen_is_400_naming_n(int n)
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new { model = InferenceHost.Model, prompt = Prompt, max_tokens = 2, n });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("n", error.GetProperty("param").GetString());
        Assert.Contains("[1, 16]", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, object body)
    {
        var response = await http.PostAsJsonAsync("/v1/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
