using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Platform.Rag;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> describing byte-level BPE (Llama 3, Qwen2, SmolLM, GPT-2) into
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>: the vocabulary, the merges, the file's own split regex
/// (GPT-2's when the ByteLevel step splits by itself), NFC when the normalizer asks for it, and the added tokens
/// as special tokens, each counted as one. Other tokenizer.json models (SentencePiece-style BPE with byte
/// fallback, Unigram, WordPiece) are not read: <see cref="TryLoad"/> returns null for them. Built like
/// Platform.Inference's ByteLevelBpeTextTokenizer (which Rag does not reference), for counting only.
/// </summary>
public static class TokenizerJson
{
    // GPT-2's pattern, used by ByteLevel pre-tokenizers with use_regex=true.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The tokenizer in <paramref name="json"/>, or null when it is not byte-level BPE.</summary>
    /// <exception cref="FormatException">The file claims byte-level BPE but a field is malformed.</exception>
    public static ByteLevelBpeTokenCounter? TryLoad(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object
            || !model.TryGetProperty("type", out var type) || type.GetString() != "BPE"
            || !json.Contains("\"ByteLevel\"", StringComparison.Ordinal))
        {
            return null;
        }
        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("tokenizer.json: model.vocab must be an object from token to id.");
        }
        var vocab = vocabElement.EnumerateObject().Select(e => new KeyValuePair<string, int>(e.Name, e.Value.GetInt32())).ToList();
        var merges = model.TryGetProperty("merges", out var mergesElement) && mergesElement.ValueKind == JsonValueKind.Array
            ? mergesElement.EnumerateArray().Select(Merge).ToList()
            : [];
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                if (token.TryGetProperty("content", out var content) && token.TryGetProperty("id", out var id))
                {
                    special[content.GetString()!] = id.GetInt32();
                }
            }
        }
        var (pattern, addPrefixSpace) = SplitPattern(root);
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = special.Count > 0 ? special : null,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special.Count > 0 ? special : null),
        };
        var nfc = root.TryGetProperty("normalizer", out var normalizer) && normalizer.GetRawText().Contains("\"NFC\"", StringComparison.Ordinal);
        return new ByteLevelBpeTokenCounter(BpeTokenizer.Create(options), nfc, addPrefixSpace);
    }

    private static string Merge(JsonElement merge) => merge.ValueKind switch
    {
        JsonValueKind.String => merge.GetString()!,
        JsonValueKind.Array when merge.GetArrayLength() == 2 => $"{merge[0].GetString()} {merge[1].GetString()}",
        _ => throw new FormatException("tokenizer.json: model.merges entries must be \"a b\" strings or [a, b] pairs."),
    };

    private static (string Pattern, bool AddPrefixSpace) SplitPattern(JsonElement root)
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
}
