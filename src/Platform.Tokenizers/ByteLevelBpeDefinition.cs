using System.Text.Json;
using System.Text.RegularExpressions;

namespace Platform.Tokenizers;

/// <summary>
/// What a Hugging Face <c>tokenizer.json</c> says about a byte-level BPE model (Llama 3, Qwen2, SmolLM, GPT-2): the
/// vocabulary, the merges, the split regex (the file's own, or GPT-2's when the ByteLevel step splits by itself),
/// whether the ByteLevel step adds a prefix space and whether the normalizer applies NFC. Read once here for both
/// the engine's tokenizer and the RAG service's token counter, which build their Microsoft.ML.Tokenizers
/// <c>BpeTokenizer</c> from it.
/// </summary>
public sealed record ByteLevelBpeDefinition(
    IReadOnlyDictionary<string, int> Vocabulary, IReadOnlyList<string> Merges, Regex SplitPattern, bool AddPrefixSpace, bool Nfc)
{
    /// <summary>GPT-2's pattern, used by ByteLevel pre-tokenizers with use_regex=true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Whether the file describes a byte-level BPE model (a BPE model with a ByteLevel step).</summary>
    public static bool Describes(JsonElement root) =>
        root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.Object
        && model.TryGetProperty("type", out var type) && type.GetString() == "BPE"
        && root.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal);

    /// <summary>Reads the definition from the file's root object.</summary>
    /// <exception cref="TokenizerJsonException">A field is missing or malformed.</exception>
    public static ByteLevelBpeDefinition Read(JsonElement root)
    {
        if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("vocab", out var vocabElement)
            || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerJsonException("model.vocab", "is required (an object from token to id)");
        }
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            vocabulary[entry.Name] = entry.Value.ValueKind == JsonValueKind.Number && entry.Value.TryGetInt32(out var id)
                ? id
                : throw new TokenizerJsonException($"model.vocab.{entry.Name}", "must be an integer id");
        }
        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var mergesElement) && mergesElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var merge in mergesElement.EnumerateArray())
            {
                merges.Add(merge.ValueKind switch
                {
                    JsonValueKind.String => merge.GetString()!,
                    JsonValueKind.Array when merge.GetArrayLength() == 2 => $"{merge[0].GetString()} {merge[1].GetString()}",
                    _ => throw new TokenizerJsonException("model.merges", "entries must be \"a b\" strings or [a, b] pairs"),
                });
            }
        }
        var (pattern, addPrefixSpace) = FindSplitPattern(root);
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new TokenizerJsonException("pre_tokenizer.pattern", $"regex is not usable in .NET ({e.Message})");
        }
        var nfc = root.TryGetProperty("normalizer", out var normalizer) && normalizer.GetRawText().Contains("\"NFC\"", StringComparison.Ordinal);
        return new ByteLevelBpeDefinition(vocabulary, merges, regex, addPrefixSpace, nfc);
    }

    private static (string Pattern, bool AddPrefixSpace) FindSplitPattern(JsonElement root)
    {
        string? pattern = null;
        var addPrefixSpace = false;
        void Visit(JsonElement node)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty("type", out var type))
            {
                return;
            }
            switch (type.GetString())
            {
                case "Sequence" when node.TryGetProperty("pretokenizers", out var children):
                    foreach (var child in children.EnumerateArray())
                    {
                        Visit(child);
                    }
                    break;
                case "Split" when pattern is null && node.TryGetProperty("pattern", out var p):
                    pattern = p.TryGetProperty("Regex", out var r) ? r.GetString()
                        : p.TryGetProperty("String", out var s) ? Regex.Escape(s.GetString() ?? "") : null;
                    break;
                case "ByteLevel":
                    addPrefixSpace = node.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True;
                    if (pattern is null && (!node.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind != JsonValueKind.False))
                    {
                        pattern = Gpt2Pattern;
                    }
                    break;
            }
        }
        if (root.TryGetProperty("pre_tokenizer", out var preTokenizer))
        {
            Visit(preTokenizer);
        }
        return (pattern ?? Gpt2Pattern, addPrefixSpace);
    }

    /// <summary>The text as the tokenizer sees it: NFC and the prefix space applied when the file asks for them.</summary>
    public string Prepare(string text)
    {
        if (Nfc)
        {
            text = text.Normalize(System.Text.NormalizationForm.FormC);
        }
        return AddPrefixSpace && !text.StartsWith(' ') ? " " + text : text;
    }
}
