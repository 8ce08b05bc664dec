using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using Platform.Inference.Checkpoints;

namespace Platform.Inference.Tokenization;

/// <summary>
/// Byte-level BPE from a Hugging Face tokenizer.json (Llama 3, Qwen2, SmolLM, GPT-2 style) through
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with the file's own split regex.
/// </summary>
public sealed class ByteLevelBpeTextTokenizer : TextTokenizer
{
    // GPT-2's pattern, used by ByteLevel pre-tokenizers with use_regex=true.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _inner;
    private readonly bool _nfc;
    private readonly bool _addPrefixSpace;

    private ByteLevelBpeTextTokenizer(BpeTokenizer inner, TokenizerSettings settings, bool nfc, bool addPrefixSpace)
        : base(settings)
    {
        _inner = inner;
        _nfc = nfc;
        _addPrefixSpace = addPrefixSpace;
    }

    /// <inheritdoc />
    public override string Kind => "byte-level-bpe";

    /// <summary>Whether tokenizer.json describes a byte-level BPE model this class can load.</summary>
    public static bool IsByteLevel(JsonFile tokenizerJson)
    {
        var text = tokenizerJson.Root.GetRawText();
        return tokenizerJson.Get("model") is { } model
            && model.TryGetProperty("type", out var type) && type.GetString() == "BPE"
            && text.Contains("\"ByteLevel\"", StringComparison.Ordinal);
    }

    /// <summary>Builds the tokenizer from tokenizer.json's model, pre_tokenizer and normalizer.</summary>
    public static ByteLevelBpeTextTokenizer Create(JsonFile json, TokenizerSettings settings)
    {
        var model = json.Get("model")!.Value;
        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw json.Error("model.vocab", "is required (an object from token to id)");
        }
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            vocab[entry.Name] = json.AsInt($"model.vocab.{entry.Name}", entry.Value);
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
                    _ => throw json.Error("model.merges", "entries must be \"a b\" strings or [a, b] pairs"),
                });
            }
        }
        var (pattern, addPrefixSpace) = FindSplitPattern(json);
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw json.Error("pre_tokenizer.pattern", $"regex is not usable in .NET ({e.Message})");
        }
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(regex, null),
        };
        var nfc = json.Get("normalizer")?.GetRawText().Contains("\"NFC\"", StringComparison.Ordinal) ?? false;
        return new ByteLevelBpeTextTokenizer(BpeTokenizer.Create(options), settings, nfc, addPrefixSpace);
    }

    private static (string Pattern, bool AddPrefixSpace) FindSplitPattern(JsonFile json)
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
        if (json.Get("pre_tokenizer") is { } preTokenizer)
        {
            Visit(preTokenizer);
        }
        return (pattern ?? Gpt2Pattern, addPrefixSpace);
    }

    /// <inheritdoc />
    protected override IEnumerable<int> EncodePlain(string text)
    {
        if (_nfc)
        {
            text = text.Normalize(NormalizationForm.FormC);
        }
        if (_addPrefixSpace && !text.StartsWith(' '))
        {
            text = " " + text;
        }
        return _inner.EncodeToIds(text);
    }

    /// <inheritdoc />
    protected override string DecodePlain(IReadOnlyList<int> ids, bool atStart) => _inner.Decode(ids, considerSpecialTokens: false) ?? "";
}
