using System.Text;
using Platform.Services.Gateway.Policy;

namespace Platform.Gateway.Tests.Policy;

public sealed class RequestFactsTests
{
    private static RequestFacts? Parse(string json, out string? error) => RequestFacts.Parse(Encoding.UTF8.GetBytes(json), 512, out error);

    [Fact]
    public void A_chat_request_reserves_its_prompt_estimate_plus_max_tokens_times_n()
    {
        var facts = Parse("""{"model":"llama","messages":[{"role":"user","content":"12345678"},{"role":"assistant","content":[{"type":"text","text":"abcd"}]}],"max_tokens":100,"n":2,"stream":true,"session_id":"s1"}""", out _)!;
        Assert.Equal("llama", facts.Model);
        Assert.Equal(3 + 2 * 4, facts.PromptTokens);
        Assert.Equal(200, facts.MaxTokens);
        Assert.True(facts.Stream);
        Assert.Equal("s1", facts.SessionId);
        Assert.Equal(211, facts.ReservedTokens);
    }

    [Fact]
    public void Max_completion_tokens_wins_and_the_default_applies_without_either()
    {
        Assert.Equal(7, Parse("""{"prompt":"x","max_tokens":100,"max_completion_tokens":7}""", out _)!.MaxTokens);
        Assert.Equal(512, Parse("""{"prompt":["a","b"]}""", out _)!.MaxTokens);
    }

    [Fact]
    public void Embeddings_reserve_only_their_input()
    {
        var facts = Parse("""{"model":"e","input":["aaaa","bbbbbbbb"]}""", out _)!;
        Assert.Equal(0, facts.MaxTokens);
        Assert.Equal(3, facts.PromptTokens);
    }

    [Theory]
    [InlineData("{\"model\":")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    public void Anything_but_a_json_object_is_refused_with_a_reason(string body)
    {
        Assert.Null(Parse(body, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
