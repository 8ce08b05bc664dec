using System.Text.Json;

namespace Platform.Services.Inference.OpenAi;

/// <summary>
/// The "input" of an embeddings request in OpenAI's four shapes — a string, a list of strings, a list
/// of token ids, a list of token id lists — as either texts or token id lists (never both).
/// </summary>
public sealed record EmbeddingInput(IReadOnlyList<string>? Texts, IReadOnlyList<IReadOnlyList<int>>? Tokens)
{
    /// <summary>Most inputs in one request (OpenAI's limit).</summary>
    public const int MaxInputs = 2048;

    /// <summary>Parses <paramref name="input"/>; a 400 <see cref="ApiError"/> naming the element otherwise.</summary>
    public static EmbeddingInput Parse(JsonElement? input)
    {
        switch (input)
        {
            case null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }:
                throw Bad("input is required: a string, a list of strings, or token ids", "input");
            case { ValueKind: JsonValueKind.String } text:
                return new EmbeddingInput([NonEmpty(text, "input")], null);
            case { ValueKind: JsonValueKind.Array } list:
                var count = list.GetArrayLength();
                if (count == 0)
                {
                    throw Bad("input must not be an empty list", "input");
                }
                if (count > MaxInputs)
                {
                    throw Bad($"input has {count} items; at most {MaxInputs} are allowed in one request", "input");
                }
                return list[0].ValueKind switch
                {
                    JsonValueKind.String => new EmbeddingInput([.. list.EnumerateArray().Select((e, i) => NonEmpty(e, $"input[{i}]"))], null),
                    JsonValueKind.Number => new EmbeddingInput(null, [TokenIds(list, "input")]),
                    JsonValueKind.Array => new EmbeddingInput(null, [.. list.EnumerateArray().Select((e, i) => TokenIds(e, $"input[{i}]"))]),
                    _ => throw Bad("input[0] must be a string, a token id or a list of token ids", "input[0]"),
                };
            default:
                throw Bad("input must be a string, a list of strings, or token ids", "input");
        }
    }

    /// <summary>Number of inputs.</summary>
    public int Count => Texts?.Count ?? Tokens!.Count;

    private static string NonEmpty(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw Bad($"{path} must be a string like the other items", path);
        }
        var text = element.GetString()!;
        return text.Length > 0 ? text : throw Bad($"{path} must not be an empty string", path);
    }

    private static int[] TokenIds(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            throw Bad($"{path} must be a non-empty list of token ids", path);
        }
        return [.. element.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var id) && id >= 0
            ? id
            : throw Bad($"{path}[{i}] must be a non-negative integer token id", $"{path}[{i}]"))];
    }

    private static ApiError Bad(string message, string param) => new(StatusCodes.Status400BadRequest, message, param);
}
