using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.InferenceService.Tests;

/// <summary>
/// Fields the server does not implement are refused by name (400, OpenAI shape) rather than
/// ignored; their neutral values (null, empty, "none", {"type":"text"}, 1) are accepted.
/// </summary>
[Collection(nameof(InferenceHostCollection))]
public sealed class UnsupportedFieldTests(InferenceHost host)
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    [Theory]
    [InlineData(Chat, "tools", """[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]""")]
    [InlineData(Chat, "tool_choice", "\"required\"")]
    [InlineData(Chat, "functions", """[{"name":"f","parameters":{}}]""")]
    [InlineData(Chat, "function_call", "\"auto\"")]
    [InlineData(Completions, "suffix", "\"the end\"")]
    [InlineData(Completions, "best_of", "3")]
    public async Task An_unsupported_field_is_400_naming_it(string path, string field, string json)
    {
        var response = await Post(path, field, json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Contains("not supported", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Chat, "tools", "[]")]
    [InlineData(Chat, "tool_choice", "\"none\"")]
    [InlineData(Chat, "response_format", """{"type":"text"}""")]
    [InlineData(Chat, "response_format", """{"type":"json_object"}""")]
    [InlineData(Chat, "response_format", """{"type":"json_schema","json_schema":{"name":"x","schema":{}}}""")]
    [InlineData(Chat, "logit_bias", "{}")]
    [InlineData(Chat, "tools", "null")]
    [InlineData(Completions, "echo", "false")]
    [InlineData(Completions, "echo", "true")] // supported (EchoTests)
    [InlineData(Completions, "suffix", "\"\"")]
    [InlineData(Completions, "best_of", "1")]
    public async Task A_neutral_value_is_accepted(string path, string field, string json)
    {
        var response = await Post(path, field, json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<HttpResponseMessage> Post(string path, string field, string json)
    {
        var input = path == Chat ? "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]" : "\"prompt\":\"Once upon a time\"";
        var body = $"{{\"model\":\"{InferenceHost.Model}\",{input},\"max_tokens\":2,\"temperature\":0,\"{field}\":{json}}}";
        using var http = host.Client();
        return await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
    }
}
