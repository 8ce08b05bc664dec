using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Platform.Inference.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Inference.Embeddings;

/// <summary>How token states become one sentence vector (sentence-transformers' Pooling module).</summary>
public enum PoolingMode
{
    Mean,
    Cls,
}

/// <summary>
/// A sentence-transformers BERT checkpoint as published on Hugging Face (all-MiniLM-L6-v2,
/// bge-small, e5-small, gte-small…): <c>config.json</c>, <c>model.safetensors</c>, WordPiece
/// <c>vocab.txt</c> or <c>tokenizer.json</c>, <c>modules.json</c> + <c>1_Pooling/config.json</c>
/// (mean or CLS pooling) and <c>sentence_bert_config.json</c> (max length). Vectors are always
/// L2-normalised. Inputs longer than the max length are truncated, as sentence-transformers does.
/// Models that add a Dense projection after pooling are refused.
/// </summary>
public sealed class SentenceTransformer : IEmbeddingModel, IDisposable
{
    private readonly BertEncoder _encoder;
    private readonly BertTokenizer _tokenizer;
    private readonly PoolingMode _pooling;
    private readonly Lock _gate = new();

    private SentenceTransformer(string id, BertEncoder encoder, BertTokenizer tokenizer, PoolingMode pooling, int maxLength)
    {
        Id = id;
        _encoder = encoder;
        _tokenizer = tokenizer;
        _pooling = pooling;
        MaxInputTokens = maxLength - 2;
    }

    public string Id { get; }

    public int Dimensions => _encoder.Config.HiddenSize;

    public int MaxInputTokens { get; }

    public PoolingMode Pooling => _pooling;

    /// <summary>Whether <paramref name="folder"/> looks like a BERT checkpoint this class can load.</summary>
    public static bool IsEncoderFolder(string folder)
    {
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config) || !File.Exists(Path.Combine(folder, "model.safetensors")) ||
            !(File.Exists(Path.Combine(folder, "vocab.txt")) || File.Exists(Path.Combine(folder, "tokenizer.json"))))
        {
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
            return doc.RootElement.TryGetProperty("model_type", out var type) && type.GetString() == "bert";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static SentenceTransformer Load(string folder, string? id = null)
    {
        var config = BertConfig.Load(Path.Combine(folder, "config.json"));
        var pooling = ReadPooling(folder);
        var maxLength = MaxSequenceLength(folder, config);
        var lowerCase = JsonFile.LoadIfExists(Path.Combine(folder, "tokenizer_config.json"))?.GetBool("do_lower_case") ?? true;
        var tokenizer = LoadTokenizer(folder, lowerCase);
        var encoder = BertEncoder.Load(config, Path.Combine(folder, "model.safetensors"));
        return new SentenceTransformer(id ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), encoder, tokenizer, pooling, maxLength);
    }

    public int CountTokens(string text) => _tokenizer.EncodeToIds(text, addSpecialTokens: false).Count;

    /// <summary>Size of the vocabulary: valid token ids are 0 .. VocabularySize − 1.</summary>
    public int VocabularySize => _encoder.Config.VocabSize;

    /// <summary>
    /// The most input tokens (without [CLS] and [SEP]) the model folder <paramref name="folder"/>
    /// accepts, read from its config files without loading weights.
    /// </summary>
    public static int MaxInputTokensOf(string folder) =>
        MaxSequenceLength(folder, BertConfig.Load(Path.Combine(folder, "config.json"))) - 2;

    private static int MaxSequenceLength(string folder, BertConfig config) =>
        Math.Min(config.MaxPositions,
            JsonFile.LoadIfExists(Path.Combine(folder, "sentence_bert_config.json"))?.GetInt("max_seq_length") ?? 512);

    /// <summary>Token ids of <paramref name="text"/> without [CLS]/[SEP] and without truncation.</summary>
    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text, addSpecialTokens: false);

    /// <summary>Token ids for one input: [CLS] tokens [SEP], truncated to the model's max length.</summary>
    public IReadOnlyList<int> Tokenize(string text) => Wrap(Encode(text));

    private IReadOnlyList<int> Wrap(IReadOnlyList<int> ids)
    {
        var body = ids.Count > MaxInputTokens ? ids.Take(MaxInputTokens) : ids;
        return [_tokenizer.ClassificationTokenId, .. body, _tokenizer.SeparatorTokenId];
    }

    /// <inheritdoc />
    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        EmbedTokens(texts.Select(Encode).ToArray(), cancellationToken);

    /// <summary>
    /// Embeds token id sequences (ids of this model's vocabulary, without [CLS]/[SEP], each truncated
    /// to <see cref="MaxInputTokens"/>): one L2-normalised vector per sequence, in order.
    /// </summary>
    public IReadOnlyList<float[]> EmbedTokens(IReadOnlyList<IReadOnlyList<int>> inputs, CancellationToken cancellationToken = default)
    {
        if (inputs.Count == 0)
        {
            return [];
        }
        var vocabulary = VocabularySize;
        if (inputs.SelectMany(i => i).Any(t => (uint)t >= (uint)vocabulary))
        {
            throw new ArgumentException($"token ids must lie in [0, {vocabulary})", nameof(inputs));
        }
        var tokenized = inputs.Select(Wrap).ToArray();
        var batch = tokenized.Length;
        var length = tokenized.Max(t => t.Count);
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        for (var b = 0; b < tokenized.Length; b++)
        {
            for (var i = 0; i < length; i++)
            {
                var real = i < tokenized[b].Count;
                ids[b * length + i] = real ? tokenized[b][i] : _tokenizer.PaddingTokenId;
                mask[b * length + i] = real ? 1 : 0;
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var idTensor = tensor(ids, [batch, length]);
            using var maskTensor = tensor(mask, [batch, length]);
            var states = _encoder.Forward(idTensor, maskTensor);
            var pooled = _pooling == PoolingMode.Cls
                ? states.select(1, 0)
                : (states * maskTensor.unsqueeze(-1).to_type(ScalarType.Float32)).sum(1) / maskTensor.sum(1, keepdim: true).to_type(ScalarType.Float32);
            var normalized = nn.functional.normalize(pooled, p: 2, dim: 1);
            var flat = normalized.contiguous().data<float>().ToArray();
            var result = new float[batch][];
            for (var b = 0; b < batch; b++)
            {
                result[b] = flat.AsSpan(b * Dimensions, Dimensions).ToArray();
            }
            return result;
        }
    }

    private static PoolingMode ReadPooling(string folder)
    {
        var modulesPath = Path.Combine(folder, "modules.json");
        if (!File.Exists(modulesPath))
        {
            return PoolingMode.Mean;
        }
        using var modules = JsonDocument.Parse(File.ReadAllBytes(modulesPath));
        var poolingPath = "1_Pooling";
        foreach (var module in modules.RootElement.EnumerateArray())
        {
            var type = module.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            if (type.EndsWith(".Dense", StringComparison.Ordinal))
            {
                throw new ModelLoadException(modulesPath, "type", "lists a Dense module; projections after pooling are not supported");
            }
            if (type.EndsWith(".Pooling", StringComparison.Ordinal) && module.TryGetProperty("path", out var p) && p.GetString() is { Length: > 0 } path)
            {
                poolingPath = path;
            }
        }
        var pooling = JsonFile.LoadIfExists(Path.Combine(folder, poolingPath, "config.json"));
        if (pooling is null)
        {
            return PoolingMode.Mean;
        }
        if (pooling.GetBool("pooling_mode_cls_token") == true)
        {
            return PoolingMode.Cls;
        }
        if (pooling.GetBool("pooling_mode_mean_tokens") == true)
        {
            return PoolingMode.Mean;
        }
        throw pooling.Error("pooling_mode_mean_tokens", "neither mean nor CLS pooling is enabled; only those two are supported");
    }

    private static BertTokenizer LoadTokenizer(string folder, bool lowerCase)
    {
        var options = new BertOptions { LowerCaseBeforeTokenization = lowerCase };
        var vocab = Path.Combine(folder, "vocab.txt");
        if (File.Exists(vocab))
        {
            return BertTokenizer.Create(vocab, options);
        }
        // tokenizer.json only: rebuild vocab.txt (one token per line, in id order) from its WordPiece vocabulary.
        var tokenizerPath = Path.Combine(folder, "tokenizer.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerPath));
        if (!doc.RootElement.TryGetProperty("model", out var model) || !model.TryGetProperty("vocab", out var entries) || entries.ValueKind != JsonValueKind.Object)
        {
            throw new ModelLoadException(tokenizerPath, "model.vocab", "is missing; a WordPiece vocabulary is required");
        }
        var tokens = entries.EnumerateObject().OrderBy(e => e.Value.GetInt32()).Select(e => e.Name);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', tokens) + "\n"));
        return BertTokenizer.Create(stream, options);
    }

    public void Dispose() => _encoder.Dispose();
}
