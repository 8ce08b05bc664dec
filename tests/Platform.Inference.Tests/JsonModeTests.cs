using System.Text.Json;
using Platform.Inference.Generation;

namespace Platform.Inference.Tests;

/// <summary>JSON mode (one object of any keys) against System.Text.Json, and the token mask built on it.</summary>
public sealed class JsonModeTests
{
    public static TheoryData<string> Objects =>
    [
        "{}",
        """{"a": 1}""",
        """ {"a":[1, 2.5e-3, -0, 10E+2, true, false, null, "x\u00e9\n\"\\/"], "b": {"c": {}, "d": []}}""",
        "{\n  \"nested\": [[[]], [{}], {\"k\": -12.75}]\n}",
    ];

    public static TheoryData<string> NotObjects =>
    [
        "[1]", "\"text\"", "12", """{"a" 1}""", """{"a": 01}""", """{"a": tru}""", """{"a": 1,}""", "{'a': 1}",
        "{\"a\": \"x\u0001\"}", """{"a": 1}}""", """{"a": 1.}""", """{"a": -}""", """{"a": 1e}""", """{"a": "\x"}""",
        """{"a": "\u12G4"}""", """{1: 2}""", """{"a": [1 2]}""", """{"a": [}""",
    ];

    [Theory]
    [MemberData(nameof(Objects))]
    public void Every_prefix_of_an_object_is_accepted_and_only_the_whole_is_complete(string json)
    {
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(json).RootElement.ValueKind);
        var state = JsonSchemaPrefix.Object;
        for (var i = 0; i < json.Length; i++)
        {
            Assert.False(state.IsComplete, $"complete before character {i}");
            state = state.Step(json[i]) ?? throw new Xunit.Sdk.XunitException($"rejected character {i} ('{json[i]}') of {json}");
        }
        Assert.True(state.IsComplete);
        Assert.Null(state.Step(' '));
    }

    [Theory]
    [MemberData(nameof(NotObjects))]
    public void Text_that_is_not_one_object_is_rejected_or_left_incomplete(string text)
    {
        Assert.False(IsObject(text), "the test's own example parses as an object");
        var state = JsonSchemaPrefix.Object.Step(text);
        Assert.False(state is { IsComplete: true }, text);
    }

    [Fact]
    public void Whitespace_between_tokens_is_one_space_or_a_newline_and_an_indent_and_strings_hold_no_raw_newline()
    {
        Assert.NotNull(JsonSchemaPrefix.Object.Step("{ \"a\": 1,\n\t\t\"b\":\n" + new string(' ', JsonSchemaPrefix.MaxIndent) + "2}"));
        Assert.Null(JsonSchemaPrefix.Object.Step("{  "));
        Assert.Null(JsonSchemaPrefix.Object.Step("{\n\n"));
        Assert.Null(JsonSchemaPrefix.Object.Step("{ \n"));
        Assert.Null(JsonSchemaPrefix.Object.Step("{\n" + new string(' ', JsonSchemaPrefix.MaxIndent + 1)));
        Assert.NotNull(JsonSchemaPrefix.Object.Step("{\"" + new string(' ', 100)));
        Assert.Null(JsonSchemaPrefix.Object.Step("{\"\n"));
    }

    [Fact]
    public void The_mask_allows_what_can_follow_and_a_stop_token_only_after_the_whole_object()
    {
        string?[] texts = ["{", "}", "\"a\"", ":", " 1", " ", "x", null, "{\"b\": true}"];
        var stop = new HashSet<int> { 7 };
        var constraint = new JsonObjectConstraint(texts);
        Assert.Equal([0, 5, 8], Allowed(constraint, stop));
        constraint.Accept(0);
        Assert.Equal([1, 2, 5], Allowed(constraint, stop));
        constraint.Accept(2);
        Assert.Equal([3, 5], Allowed(constraint, stop));
        constraint.Accept(3);
        Assert.Equal([0, 2, 4, 5, 8], Allowed(constraint, stop));
        constraint.Accept(4);
        constraint.Accept(1);
        Assert.True(constraint.IsComplete);
        Assert.Equal([7], Allowed(constraint, stop));
    }

    private static bool IsObject(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static int[] Allowed(JsonObjectConstraint constraint, HashSet<int> stop)
    {
        var logits = new float[9];
        constraint.Mask(logits, stop);
        return [.. Enumerable.Range(0, logits.Length).Where(i => float.IsFinite(logits[i]))];
    }
}
