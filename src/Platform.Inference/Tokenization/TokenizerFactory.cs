using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Platform.Inference.Checkpoints;

namespace Platform.Inference.Tokenization;

/// <summary>
/// Picks and builds the tokenizer of a model folder: SentencePiece from tokenizer.model when there
/// is one and tokenizer.json is not byte-level, else byte-level BPE from tokenizer.json. BOS/EOS
/// rules and special tokens come from tokenizer_config.json and tokenizer.json.
/// </summary>
public static class TokenizerFactory
{
    /// <summary>Loads the tokenizer of <paramref name="directory"/>; throws <see cref="ModelLoadException"/> naming the file.</summary>
    public static ITextTokenizer FromModelDirectory(string directory)
    {
        var modelPath = Path.Combine(directory, "tokenizer.model");
        var jsonPath = Path.Combine(directory, "tokenizer.json");
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        var tokenizerConfig = JsonFile.LoadIfExists(configPath);
        var tokenizerJson = JsonFile.LoadIfExists(jsonPath);
        if (tokenizerJson is not null && ByteLevelBpeTextTokenizer.IsByteLevel(tokenizerJson))
        {
            var settings = BuildSettings(tokenizerConfig, tokenizerJson, vocabularyLookup: null, defaultAddBos: null);
            return ByteLevelBpeTextTokenizer.Create(tokenizerJson, settings);
        }
        if (File.Exists(modelPath))
        {
            return CreateSentencePiece(modelPath, tokenizerConfig, tokenizerJson);
        }
        if (tokenizerJson is not null)
        {
            throw new ModelLoadException(jsonPath, "model",
                "only byte-level BPE tokenizer.json files are supported; SentencePiece-style models need tokenizer.model");
        }
        throw new ModelLoadException(Path.Combine(directory, "tokenizer.json"), null,
            "file not found (a model folder needs tokenizer.json or tokenizer.model)");
    }

    private static SentencePieceTextTokenizer CreateSentencePiece(string modelPath, JsonFile? config, JsonFile? tokenizerJson)
    {
        LlamaTokenizer inner;
        try
        {
            using var stream = File.OpenRead(modelPath);
            inner = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ModelLoadException(modelPath, null, $"is not a readable SentencePiece model ({e.Message})", e);
        }
        int? Lookup(string token) => inner.Vocabulary.TryGetValue(token, out var id) ? id : null;
        var settings = BuildSettings(config, tokenizerJson, Lookup, defaultAddBos: true);
        settings = settings with
        {
            BosTokenId = settings.BosTokenId ?? inner.BeginningOfSentenceId,
            AddBos = config?.GetBool("add_bos_token") ?? true,
            BosToken = settings.BosToken ?? inner.BeginningOfSentenceToken,
            EosTokenIds = settings.EosTokenIds.Count > 0 ? settings.EosTokenIds : [inner.EndOfSentenceId],
            SpecialTokens = WithCoreTokens(settings.SpecialTokens, inner),
            SkippedIds = new HashSet<int>(settings.SkippedIds) { inner.BeginningOfSentenceId, inner.EndOfSentenceId, inner.UnknownId },
        };
        return new SentencePieceTextTokenizer(inner, settings);
    }

    private static Dictionary<string, int> WithCoreTokens(IReadOnlyDictionary<string, int> special, LlamaTokenizer inner)
    {
        var result = new Dictionary<string, int>(special, StringComparer.Ordinal)
        {
            [inner.BeginningOfSentenceToken] = inner.BeginningOfSentenceId,
            [inner.EndOfSentenceToken] = inner.EndOfSentenceId,
        };
        return result;
    }

    private static TokenizerSettings BuildSettings(JsonFile? config, JsonFile? tokenizerJson,
        Func<string, int?>? vocabularyLookup, bool? defaultAddBos)
    {
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        var skipped = new HashSet<int>();
        if (tokenizerJson?.Get("added_tokens") is { ValueKind: JsonValueKind.Array } added)
        {
            foreach (var token in added.EnumerateArray())
            {
                AddToken(tokenizerJson, "added_tokens", token, special, skipped, id: null);
            }
        }
        if (config?.Get("added_tokens_decoder") is { ValueKind: JsonValueKind.Object } decoder)
        {
            foreach (var entry in decoder.EnumerateObject())
            {
                if (!int.TryParse(entry.Name, out var id))
                {
                    throw config.Error($"added_tokens_decoder.{entry.Name}", "keys must be token ids");
                }
                AddToken(config, $"added_tokens_decoder.{entry.Name}", entry.Value, special, skipped, id);
            }
        }
        int? Resolve(string field)
        {
            var token = TokenText(config, field);
            if (token is null)
            {
                return null;
            }
            return special.TryGetValue(token, out var id) ? id
                : vocabularyLookup?.Invoke(token)
                ?? throw config!.Error(field, $"token '{token}' is not in the vocabulary");
        }
        var bosText = TokenText(config, "bos_token");
        var bosId = Resolve("bos_token");
        var eosId = Resolve("eos_token");
        var templateBos = PostProcessorBos(tokenizerJson, special);
        var addBos = config?.GetBool("add_bos_token") ?? defaultAddBos ?? templateBos is not null;
        if (bosId is null && templateBos is { } fromTemplate)
        {
            bosId = special[fromTemplate];
            bosText = fromTemplate;
        }
        return new TokenizerSettings
        {
            SpecialTokens = special,
            SkippedIds = skipped,
            BosToken = bosText,
            BosTokenId = bosId,
            EosTokenIds = eosId is { } eos ? [eos] : [],
            AddBos = addBos && bosId is not null,
            AddEos = config?.GetBool("add_eos_token") ?? false,
        };
    }

    private static void AddToken(JsonFile file, string field, JsonElement token, Dictionary<string, int> special,
        HashSet<int> skipped, int? id)
    {
        if (token.ValueKind != JsonValueKind.Object || !token.TryGetProperty("content", out var content)
            || content.ValueKind != JsonValueKind.String)
        {
            throw file.Error(field, "entries need a \"content\" string");
        }
        var tokenId = id ?? (token.TryGetProperty("id", out var idElement) ? file.AsInt(field + ".id", idElement)
            : throw file.Error(field, "entries need an \"id\""));
        special[content.GetString()!] = tokenId;
        if (token.TryGetProperty("special", out var isSpecial) && isSpecial.ValueKind == JsonValueKind.True)
        {
            skipped.Add(tokenId);
        }
    }

    private static string? TokenText(JsonFile? config, string field) => config?.Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("content", out var c) => c.GetString(),
        _ => throw config.Error(field, "must be a string or an object with \"content\""),
    };

    // tokenizer.json's TemplateProcessing "single" template names the token put before the text, if any.
    private static string? PostProcessorBos(JsonFile? tokenizerJson, Dictionary<string, int> special)
    {
        if (tokenizerJson?.Get("post_processor") is not { } processor)
        {
            return null;
        }
        var processors = processor.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList()
            : [processor];
        foreach (var p in processors)
        {
            if (!p.TryGetProperty("single", out var single) || single.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            foreach (var item in single.EnumerateArray())
            {
                if (item.TryGetProperty("Sequence", out _))
                {
                    return null;
                }
                if (item.TryGetProperty("SpecialToken", out var st) && st.TryGetProperty("id", out var idText)
                    && idText.GetString() is { } text && special.ContainsKey(text))
                {
                    return text;
                }
            }
        }
        return null;
    }
}
