using System.Text.Json;
using Platform.Inference.Generation;

namespace Platform.Inference.Tests;

/// <summary>Structured output's schema checker: what a schema accepts character by character, and what it refuses to compile.</summary>
public sealed class JsonSchemaTests
{
    private const string Person = """
        {"type": "object", "additionalProperties": false, "required": ["name", "age"],
         "properties": {
           "name": {"type": "string", "description": "free text"},
           "age": {"type": "integer"},
           "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "bb"]}},
           "owner": {"type": ["object", "null"], "required": ["id"], "properties": {"id": {"type": "integer"}}},
           "score": {"type": "number"}}}
        """;

    [Theory]
    [InlineData("""{"name": "Tom", "age": 3}""")]
    [InlineData("""{"name":"x\"y","age":-12,"tags":["a","bb"],"owner":null,"score":1.5e3}""")]
    [InlineData("{\n  \"name\": \"x\",\n  \"age\": 0,\n  \"owner\": {\"id\": 7}\n}")]
    [InlineData("""{"name": "", "age": 1, "tags": []}""")]
    public void A_value_of_the_schema_is_accepted_prefix_by_prefix(string json)
    {
        JsonDocument.Parse(json).Dispose();
        var state = JsonSchemaPrefix.For(Compile(Person));
        for (var i = 0; i < json.Length; i++)
        {
            Assert.False(state.IsComplete, $"complete before character {i}");
            state = state.Step(json[i]) ?? throw new Xunit.Sdk.XunitException($"rejected character {i} ('{json[i]}') of {json}");
        }
        Assert.True(state.IsComplete);
    }

    [Theory]
    [InlineData("""{"age": 3, "name": "x"}""")]        // a required property skipped (order is the schema's)
    [InlineData("""{"name": "x"}""")]                  // closed without a required property
    [InlineData("""{"name": 3, "age": 1}""")]          // wrong type
    [InlineData("""{"name": "x", "age": 1.5}""")]      // an integer with a fraction
    [InlineData("""{"name": "x", "age": 1, "tags": ["c"]}""")] // not in the enum
    [InlineData("""{"name": "x", "age": 1, "tags": ["b"]}""")] // a prefix of an enum value only
    [InlineData("""{"name": "x", "age": 1, "extra": 1}""")]    // not a property
    [InlineData("""{"name": "x", "age": 1, "owner": {}}""")]   // the owner's required id missing
    [InlineData("""{"name": "x", "age": 1, "age": 2}""")]      // a property twice
    [InlineData("""["name"]""")]
    public void Text_the_schema_rejects_never_completes(string text)
    {
        var state = JsonSchemaPrefix.For(Compile(Person)).Step(text);
        Assert.False(state is { IsComplete: true }, text);
    }

    [Fact]
    public void Refs_into_defs_may_recurse_and_a_top_level_number_may_end_or_go_on()
    {
        var tree = Compile("""
            {"$defs": {"node": {"type": "object", "required": ["children"],
                                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
             "$ref": "#/$defs/node"}
            """);
        Assert.True(JsonSchemaPrefix.For(tree).Step("""{"children": [{"children": []}, {"children": [{"children": []}]}]}""") is { IsComplete: true });
        Assert.Null(JsonSchemaPrefix.For(tree).Step("""{"children": [1]"""));

        var number = JsonSchemaPrefix.For(Compile("""{"type": "integer"}"""));
        Assert.True(number.Step("42") is { IsComplete: true });
        Assert.True(number.Step("421") is { IsComplete: true });
        Assert.Null(number.Step("4.2"));
        Assert.True(JsonSchemaPrefix.For(Compile("{}")).Step("""[1, {"a": null}, "x"]""") is { IsComplete: true });
        Assert.True(JsonSchemaPrefix.For(Compile("""{"type": "object"}""")).Step("""{"any": [true], "key": {}}""") is { IsComplete: true });
        Assert.Null(JsonSchemaPrefix.For(Compile("""{"type": "object", "properties": {}}""")).Step("{\"any\""));
    }

    [Theory]
    [InlineData("""{"type": "string", "pattern": "^a"}""", "'pattern'")]
    [InlineData("""{"type": "number", "minimum": 1, "exclusiveMaximum": 1}""", "no number meets")]
    [InlineData("""{"minimum": 0}""", "'minimum' without")]
    [InlineData("""{"type": ["integer", "null"], "maximum": 3}""", "'maximum' without")]
    [InlineData("""{"type": "integer", "minimum": 5, "exclusiveMaximum": 5}""", "no integer meets")]
    [InlineData("""{"type": "string", "minLength": 3, "maxLength": 2}""", "maxLength below its minLength")]
    [InlineData("""{"type": "array", "maxItems": -1}""", "maxItems that is not a non-negative integer")]
    [InlineData("""{"anyOf": [{"type": "object"}, {"type": "object", "properties": {"a": {}}}]}""", "same character")]
    [InlineData("""{"type": "object", "required": ["a"], "properties": {}}""", "requires 'a'")]
    [InlineData("""{"$ref": "#/$defs/missing"}""", "not in this schema's $defs")]
    [InlineData("""{"enum": [1, 2]}""", "only string enums")]
    [InlineData("""{"type": "date"}""", "type 'date'")]
    public void A_schema_it_cannot_enforce_is_refused_naming_why(string schema, string why)
    {
        var error = Assert.Throws<SamplingParameterException>(() => Compile(schema));
        Assert.Equal("response_format", error.Field);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type": "integer", "minimum": -5, "maximum": 120}""", -5, 120)]
    [InlineData("""{"type": "integer", "minimum": 10}""", 10, long.MaxValue)]
    [InlineData("""{"type": "integer", "maximum": -20}""", long.MinValue, -20)]
    [InlineData("""{"type": "integer", "exclusiveMinimum": 0.5, "maximum": 3.7}""", 1, 3)]
    [InlineData("""{"type": "integer", "minimum": 100, "maximum": 105}""", 100, 105)]
    public void Integer_bounds_hold_for_every_value_and_every_prefix_of_one_in_range(string schema, long low, long high)
    {
        var node = Compile(schema);
        var wrapped = Compile("""{"type": "object", "required": ["n"], "properties": {"n": """ + schema + "}}");
        for (var v = -350; v <= 350; v++)
        {
            var text = v.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var inRange = v >= low && v <= high;
            Assert.Equal(inRange, JsonSchemaPrefix.For(node).Step(text) is { IsComplete: true });
            Assert.Equal(inRange, JsonSchemaPrefix.For(wrapped).Step("{\"n\": " + text + "}") is { IsComplete: true });
            for (var i = 1; inRange && i <= text.Length; i++)
            {
                Assert.True(JsonSchemaPrefix.For(node).Step(text[..i]) is not null, $"prefix '{text[..i]}' of {v} rejected");
            }
        }
        Assert.Null(JsonSchemaPrefix.For(node).Step("-0"));
        Assert.Null(JsonSchemaPrefix.For(node).Step("1.0"));
    }

    [Theory]
    [InlineData("""{"type": "number", "minimum": 0, "maximum": 1}""")]
    [InlineData("""{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}""")]
    [InlineData("""{"type": "number", "minimum": -2.5, "exclusiveMaximum": 0.75}""")]
    [InlineData("""{"type": "number", "minimum": 0.1}""")]
    [InlineData("""{"type": "number", "maximum": -1.25}""")]
    [InlineData("""{"type": "number", "minimum": 10, "maximum": 10.5}""")]
    public void Number_bounds_hold_and_no_text_that_could_reach_a_value_in_range_is_refused(string schema)
    {
        using var document = JsonDocument.Parse(schema);
        var bounds = document.RootElement;
        bool Admits(decimal v) =>
            (!bounds.TryGetProperty("minimum", out var min) || v >= min.GetDecimal())
            && (!bounds.TryGetProperty("exclusiveMinimum", out var above) || v > above.GetDecimal())
            && (!bounds.TryGetProperty("maximum", out var max) || v <= max.GetDecimal())
            && (!bounds.TryGetProperty("exclusiveMaximum", out var below) || v < below.GetDecimal());
        var node = Compile(schema);
        var texts = new List<string>();
        for (var i = -3000; i <= 3000; i += 7)
        {
            texts.Add((i / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
            texts.Add((i / 1000m).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture));
        }
        texts.AddRange(["0", "1", "10", "10.5", "10.25", "-1.25", "-1.3", "0.1", "0.09", "1.0", "0.0", "-0.5", "1e0", "0.5E1"]);
        var admitted = new List<string>();
        foreach (var text in texts.Distinct())
        {
            var value = decimal.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
            var complete = JsonSchemaPrefix.For(node).Step(text) is { IsComplete: true };
            // A bounded number is written without an exponent.
            Assert.Equal(Admits(value) && !text.Contains('e', StringComparison.OrdinalIgnoreCase), complete);
            if (complete)
            {
                admitted.Add(text);
            }
        }
        Assert.NotEmpty(admitted);
        // No prefix of an admitted text is refused.
        foreach (var text in admitted)
        {
            for (var i = 1; i <= text.Length; i++)
            {
                Assert.True(JsonSchemaPrefix.For(node).Step(text[..i]) is not null, $"prefix '{text[..i]}' of {text} refused");
            }
        }
    }

    [Fact]
    public void A_number_text_that_cannot_reach_the_bounds_is_refused_at_once()
    {
        var probability = JsonSchemaPrefix.For(Compile("""{"type": "number", "minimum": 0, "maximum": 1}"""));
        Assert.NotNull(probability.Step("0.25"));
        Assert.NotNull(probability.Step("1.0"));
        Assert.Null(probability.Step("1.01"));
        Assert.Null(probability.Step("2"));
        Assert.Null(probability.Step("-"));
        Assert.Null(probability.Step("0e"));
        Assert.True(probability.Step("1") is { IsComplete: true });
        Assert.Null(probability.Step("10"));
    }

    [Fact]
    public void A_digit_that_no_value_in_range_can_follow_is_refused_at_once()
    {
        var percent = JsonSchemaPrefix.For(Compile("""{"type": "integer", "minimum": 0, "maximum": 100}"""));
        Assert.NotNull(percent.Step("10"));
        Assert.NotNull(percent.Step("100"));
        Assert.Null(percent.Step("101"));
        Assert.Null(percent.Step("1000"));
        Assert.Null(percent.Step("-"));
        Assert.Null(percent.Step("2000"));
        Assert.True(percent.Step("20") is { IsComplete: true });
        Assert.Null(percent.Step("200"));
    }

    [Fact]
    public void Length_and_item_bounds_hold_and_an_escape_is_one_character()
    {
        var text = Compile("""{"type": "string", "minLength": 2, "maxLength": 3}""");
        Assert.Null(JsonSchemaPrefix.For(text).Step("\"a\""));
        Assert.True(JsonSchemaPrefix.For(text).Step("\"ab\"") is { IsComplete: true });
        Assert.True(JsonSchemaPrefix.For(text).Step("\"a\\n\\u00e9\"") is { IsComplete: true });
        Assert.Null(JsonSchemaPrefix.For(text).Step("\"abcd"));

        var list = Compile("""{"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2}""");
        Assert.Null(JsonSchemaPrefix.For(list).Step("[]"));
        Assert.Null(JsonSchemaPrefix.For(list).Step("[ ]"));
        Assert.True(JsonSchemaPrefix.For(list).Step("[ 1]") is { IsComplete: true });
        Assert.True(JsonSchemaPrefix.For(list).Step("[1, [2]]") is null);
        Assert.True(JsonSchemaPrefix.For(list).Step("[1, 2]") is { IsComplete: true });
        Assert.Null(JsonSchemaPrefix.For(list).Step("[1, 2,"));
        Assert.True(JsonSchemaPrefix.For(Compile("""{"type": "array"}""")).Step("[ ]") is { IsComplete: true });
    }

    [Fact]
    public void An_enum_longer_than_the_limit_is_refused()
    {
        var values = string.Join(", ", Enumerable.Range(0, JsonSchemaNode.MaxEnum + 1).Select(i => $"\"v{i}\""));
        Assert.Contains($"at most {JsonSchemaNode.MaxEnum}", Assert.Throws<SamplingParameterException>(() => Compile($"{{\"enum\": [{values}]}}")).Message);
        Compile($"{{\"enum\": [{string.Join(", ", Enumerable.Range(0, JsonSchemaNode.MaxEnum).Select(i => $"\"v{i}\""))}]}}");
    }

    private static JsonSchemaNode Compile(string schema) => JsonSchemaNode.Compile(JsonDocument.Parse(schema).RootElement);
}
