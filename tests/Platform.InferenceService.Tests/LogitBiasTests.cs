using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.InferenceService.Tests;

/// <summary>OpenAI's logit_bias on both endpoints: -100 bans a token, +100 forces one, bad maps are a 400 naming the field.</summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class LogitBiasTests(InferenceHost host)
{
    private const string Prompt = "One day, a little girl";

    [Fact]
    public async Task Banning_the_greedy_first_token_changes_it_and_forcing_a_token_repeats_it()
    {
        var greedy = Reference.Greedy(Prompt, 6);
        var first = greedy.TokenIds[0];
        using var http = host.Client();

        var banned = await CompleteAsync(http, new Dictionary<string, double> { [Id(first)] = -100 });
        Assert.NotEqual(greedy.Text, banned);
        Assert.False(banned.StartsWith(Reference.Model.Tokenizer.Decode([first]), StringComparison.Ordinal), banned);

        // A token the greedy answer does not use, forced at every position.
        var forced = Enumerable.Range(100, 400).First(id => !greedy.TokenIds.Contains(id) && !Reference.Model.Tokenizer.Decode([id]).Contains('\n'));
        var text = await CompleteAsync(http, new Dictionary<string, double> { [Id(forced)] = 100 });
        Assert.Equal(Reference.Model.Tokenizer.Decode(Enumerable.Repeat(forced, 6).ToList()), text);

        // Neutral: an empty map and a zero bias leave the greedy answer as it was.
        Assert.Equal(greedy.Text, await CompleteAsync(http, []));
        Assert.Equal(greedy.Text, await CompleteAsync(http, new Dictionary<string, double> { [Id(first)] = 0 }));
    }

    [Fact]
    public async Task A_chat_completion_honours_logit_bias_too()
    {
        using var http = host.Client();
        var forced = Reference.Model.Tokenizer.Encode(" cat", addSpecialTokens: false)[^1];
        var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = InferenceHost.Model,
            messages = new[] { new { role = "user", content = "Tell me a story" } },
            max_tokens = 3,
            temperature = 0.8,
            logit_bias = new Dictionary<string, double> { [Id(forced)] = 100 },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var content = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.Equal(Reference.Model.Tokenizer.Decode([forced, forced, forced]), content);
    }

    [Theory]
    [InlineData("""{"abc":1}""", "token ids")]
    [InlineData("""{"-1":1}""", "token ids")]
    [InlineData("""{"100000":1}""", "token ids in [0, 512)")]
    [InlineData("""{"5":101}""", "[-100, 100]")]
    [InlineData("""{"5":"high"}""", "[-100, 100]")]
    [InlineData("""[1,2]""", "must be an object")]
    public async Task A_bad_logit_bias_is_400_naming_the_field(string json, string message)
    {
        using var http = host.Client();
        var body = $$"""{"model":"{{InferenceHost.Model}}","prompt":"{{Prompt}}","max_tokens":2,"logit_bias":{{json}}}""";
        var response = await http.PostAsync("/v1/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("logit_bias", error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static string Id(int token) => token.ToString(CultureInfo.InvariantCulture);

    private static async Task<string> CompleteAsync(HttpClient http, Dictionary<string, double> bias)
    {
        var response = await http.PostAsJsonAsync("/v1/completions", new
        {
            model = InferenceHost.Model, prompt = Prompt, max_tokens = 6, temperature = 0, ignore_eos = true, logit_bias = bias,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0].GetProperty("text").GetString()!;
    }
}
