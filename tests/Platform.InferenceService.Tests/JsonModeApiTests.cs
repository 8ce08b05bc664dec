using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.InferenceService.Tests;

/// <summary>response_format json_object through the API: the output is JSON, and an object whenever the model finished it.</summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class JsonModeApiTests(InferenceHost host)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_json_object_answer_parses_or_is_a_prefix_cut_by_max_tokens(int seed)
    {
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = InferenceHost.Model,
            messages = new[] { new { role = "user", content = "Describe the cat as JSON." } },
            max_tokens = 200,
            temperature = 0.7,
            seed,
            response_format = new { type = "json_object" },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0];
        var text = choice.GetProperty("message").GetProperty("content").GetString()!;
        var finish = choice.GetProperty("finish_reason").GetString();
        if (finish == "stop")
        {
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(text).RootElement.ValueKind);
        }
        else
        {
            AssertJsonPrefix(text);
        }
    }

    [Fact]
    public async Task Once_the_object_is_whole_the_answer_stops_there()
    {
        // A story model rarely closes its object within a test's budget: a bias on "}" makes it close at once.
        var texts = Platform.Inference.Generation.JsonObjectConstraint.TokenTexts(Reference.Model.Tokenizer, Reference.Model.Model.Config.VocabSize);
        var close = Array.IndexOf(texts, "}");
        using var http = host.Client();
        var response = await http.PostAsJsonAsync("/v1/completions", new
        {
            model = InferenceHost.Model,
            prompt = "Once upon a time",
            max_tokens = 50,
            temperature = 0.7,
            seed = 1,
            response_format = new { type = "json_object" },
            logit_bias = new Dictionary<string, double> { [close.ToString(System.Globalization.CultureInfo.InvariantCulture)] = 100 },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var text = choice.GetProperty("text").GetString()!;
        Assert.Equal("{}", text.Trim());
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(text).RootElement.ValueKind);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_json_schema_answer_is_a_value_of_the_schema(int seed)
    {
        // Every value here is finite (an enum, a boolean, an integer of at most two digits, a bounded number of at most 18
        // fraction digits), so even a story model reaches the end of the object.
        using var http = host.Client();
        const string Format = """
            {"type": "json_schema", "json_schema": {"name": "mood", "strict": true, "schema":
              {"type": "object", "additionalProperties": false, "required": ["mood", "ok", "score", "ratio"],
               "properties": {"mood": {"type": "string", "enum": ["happy", "sad"]}, "ok": {"type": "boolean"},
                              "score": {"type": "integer", "minimum": -3, "exclusiveMaximum": 12},
                              "ratio": {"type": "number", "minimum": 0, "maximum": 1}}}}}
            """;
        var body = $$"""{"model": "{{InferenceHost.Model}}", "messages": [{"role": "user", "content": "How is the cat?"}], "max_tokens": 150, "temperature": 0.8, "seed": {{seed}}, "response_format": """
            + Format + "}";
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        using var answer = JsonDocument.Parse(choice.GetProperty("message").GetProperty("content").GetString()!);
        Assert.Contains(answer.RootElement.GetProperty("mood").GetString(), new[] { "happy", "sad" });
        Assert.Contains(answer.RootElement.GetProperty("ok").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.InRange(answer.RootElement.GetProperty("score").GetInt32(), -3, 11);
        Assert.InRange(answer.RootElement.GetProperty("ratio").GetDecimal(), 0m, 1m);
        Assert.Equal(["mood", "ok", "score", "ratio"], answer.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("""{"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "^a"}}}""", "'pattern'")]
    [InlineData("""{"type": "json_schema"}""", "needs a json_schema object")]
    [InlineData("""{"type": "yaml"}""", "text, json_object or json_schema")]
    public async Task A_response_format_it_cannot_enforce_is_400_naming_it(string format, string why)
    {
        using var http = host.Client();
        var body = $$"""{"model": "{{InferenceHost.Model}}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "response_format": """ + format + "}";
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("response_format", error.GetProperty("param").GetString());
        Assert.Contains(why, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    // System.Text.Json's reader, given the text as a partial buffer, reads every token it can and throws only on invalid JSON.
    private static void AssertJsonPrefix(string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), isFinalBlock: false, state: default);
        while (reader.Read())
        {
        }
    }
}
