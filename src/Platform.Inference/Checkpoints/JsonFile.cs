using System.Text.Json;

namespace Platform.Inference.Checkpoints;

/// <summary>
/// A parsed JSON object file with typed field access; every failure is a
/// <see cref="ModelLoadException"/> naming the file and the field.
/// </summary>
public sealed class JsonFile
{
    private JsonFile(string path, JsonElement root)
    {
        Path = path;
        Root = root;
    }

    /// <summary>Path of the file.</summary>
    public string Path { get; }

    /// <summary>The root object.</summary>
    public JsonElement Root { get; }

    /// <summary>Reads and parses <paramref name="path"/>; the root must be an object.</summary>
    public static JsonFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException(path, null, "file not found");
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path),
                new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, null, "expected a JSON object");
            }
            return new JsonFile(path, document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, null, $"not valid JSON ({e.Message})", e);
        }
        catch (IOException e)
        {
            throw new ModelLoadException(path, null, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>Loads <paramref name="path"/> when it exists, else null.</summary>
    public static JsonFile? LoadIfExists(string path) => File.Exists(path) ? Load(path) : null;

    /// <summary>The field's element when present and not null.</summary>
    public JsonElement? Get(string field) =>
        Root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A required integer field.</summary>
    public int RequireInt(string field) => GetInt(field) ?? throw Error(field, "is required");

    /// <summary>An optional integer field.</summary>
    public int? GetInt(string field) => Get(field) is { } v ? AsInt(field, v) : null;

    /// <summary>An optional number field.</summary>
    public double? GetDouble(string field) => Get(field) is { } v ? AsDouble(field, v) : null;

    /// <summary>An optional boolean field.</summary>
    public bool? GetBool(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Error(field, "must be true or false"),
    };

    /// <summary>An optional string field.</summary>
    public string? GetString(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw Error(field, "must be a string"),
    };

    /// <summary>An optional field holding one integer or a list of integers (like eos_token_id).</summary>
    public IReadOnlyList<int> GetIntOrList(string field) => Get(field) switch
    {
        null => [],
        { ValueKind: JsonValueKind.Array } v => v.EnumerateArray().Select(e => AsInt(field, e)).ToArray(),
        { } v => [AsInt(field, v)],
    };

    /// <summary>An error about <paramref name="field"/> of this file.</summary>
    public ModelLoadException Error(string field, string problem) => new(Path, field, problem);

    /// <summary>Reads <paramref name="value"/> as an int, naming <paramref name="field"/> when it is not one.</summary>
    public int AsInt(string field, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : throw Error(field, $"must be an integer, got {value.GetRawText()}");

    /// <summary>Reads <paramref name="value"/> as a double, naming <paramref name="field"/> when it is not one.</summary>
    public double AsDouble(string field, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Error(field, $"must be a number, got {value.GetRawText()}");
}
