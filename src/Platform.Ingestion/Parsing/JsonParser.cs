using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Platform.Ingestion.Parsing;

/// <summary>
/// JSON and JSON Lines. Each record (a JSONL line, an element of a top-level array, or a property of
/// a top-level object) becomes one block of "path: value" lines, so a record stays together in a
/// chunk and its field names are searchable.
/// </summary>
public sealed class JsonParser : IDocumentParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public IReadOnlyList<string> Extensions { get; } = [".json", ".jsonl", ".ndjson"];

    /// <summary>Whether the content is parsed as JSON Lines (one value per line) rather than one JSON value.</summary>
    public static bool IsLines(string extension) => extension is ".jsonl" or ".ndjson";

    public ParsedDocument Parse(byte[] content, ParseLimits limits) => ParseJson(content, lines: false);

    /// <summary>Parses a whole document as one JSON value, or as JSON Lines when <paramref name="lines"/>.</summary>
    public ParsedDocument ParseJson(byte[] content, bool lines)
    {
        var text = TextDecoding.Decode(content);
        var blocks = new List<TextBlock>();
        if (lines)
        {
            var number = 0;
            foreach (var line in text.Split('\n'))
            {
                number++;
                if (line.Trim().Length == 0)
                {
                    continue;
                }
                using var doc = Load(line, $"line {number}");
                AddRecord(doc.RootElement, "", blocks);
            }
            return new ParsedDocument(blocks);
        }
        using (var doc = Load(text, null))
        {
            switch (doc.RootElement.ValueKind)
            {
                case JsonValueKind.Array:
                    foreach (var item in doc.RootElement.EnumerateArray())
                    {
                        AddRecord(item, "", blocks);
                    }
                    break;
                case JsonValueKind.Object:
                    foreach (var property in doc.RootElement.EnumerateObject())
                    {
                        AddRecord(property.Value, property.Name, blocks);
                    }
                    break;
                default:
                    AddRecord(doc.RootElement, "", blocks);
                    break;
            }
        }
        return new ParsedDocument(blocks);
    }

    private static JsonDocument Load(string json, string? where)
    {
        try
        {
            return JsonDocument.Parse(json, Options);
        }
        catch (JsonException e)
        {
            var position = where ?? (e.LineNumber is { } l ? $"line {l + 1}" : "an unknown position");
            throw new DocumentRejectedException($"The file is not valid JSON at {position}: {e.Message.Split(" Path:")[0].TrimEnd('.')}.", e);
        }
    }

    private static void AddRecord(JsonElement value, string path, List<TextBlock> blocks)
    {
        var sb = new StringBuilder();
        Flatten(value, path, sb);
        var text = TextNormalizer.Preformatted(sb.ToString());
        if (text.Length > 0)
        {
            blocks.Add(new TextBlock(BlockKind.Paragraph, text));
        }
    }

    private static void Flatten(JsonElement value, string path, StringBuilder sb)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in value.EnumerateObject())
                {
                    Flatten(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, sb);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Flatten(item, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", sb);
                    i++;
                }
                break;
            case JsonValueKind.String:
                Line(sb, path, TextNormalizer.Prose(value.GetString() ?? ""));
                break;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            default:
                Line(sb, path, value.GetRawText());
                break;
        }
    }

    private static void Line(StringBuilder sb, string path, string value)
    {
        if (value.Length > 0)
        {
            sb.Append(path.Length == 0 ? value : path + ": " + value).Append('\n');
        }
    }
}
