using System.Globalization;
using System.Text;

namespace Platform.Inference.Embeddings;

/// <summary>
/// The built-in embedder that needs no model: feature hashing of terms into a fixed number of buckets
/// with a hash-derived sign, sub-linear TF weights (1 + ln tf), L2-normalised. Deterministic across
/// runs and machines. It captures LEXICAL similarity — shared words — not meaning: "car" and
/// "automobile" are unrelated to it. Use a BERT-family model for semantics. Its "tokens" (for chunk
/// sizing) are words and individual punctuation marks, the same in every version.
/// </summary>
/// <remarks>
/// <para><b>v2</b> (<see cref="DefaultId"/>, 1024 dimensions): lower-cased words minus PostgreSQL's English
/// stop words (<see cref="EnglishStopWords"/>), plurals folded (<see cref="PluralStemmer"/>), plus word
/// bigrams of the remaining terms at half weight. Without stop words the most frequent, least telling
/// words no longer dominate the vector, and the larger dimension halves hash collisions; SciFact
/// vector-only nDCG@10 rose from 0.34 (v1) to 0.44 (docs/performance.md).</para>
/// <para><b>v1</b> (<see cref="V1Id"/>, 384 dimensions): every word, word bigrams at half weight and character
/// 3–5-grams of each word at a quarter weight. Kept unchanged so knowledge bases built with it keep
/// embedding their queries exactly as their chunks were embedded.</para>
/// </remarks>
public sealed class LexicalEmbedder : IEmbeddingModel
{
    /// <summary>The id of the first version (384 dimensions), kept for knowledge bases built with it.</summary>
    public const string V1Id = "platform-lexical-v1";

    /// <summary>The id of the current version at its default dimension: what new knowledge bases record.</summary>
    public const string DefaultId = "platform-lexical-v2";

    /// <summary>The default dimension of the current version.</summary>
    public const int DefaultDimensions = 1024;

    /// <summary>The default dimension of v1.</summary>
    public const int V1Dimensions = 384;

    private const string IdPrefix = "platform-lexical-v";
    private const float WordWeight = 1.0f;
    private const float BigramWeight = 0.5f;
    private const float CharGramWeight = 0.25f;

    private readonly int _version;

    /// <summary>A v1 embedder (the original scheme); use <see cref="FromId"/> or <see cref="Create"/> for the current one.</summary>
    public LexicalEmbedder(int dimensions = V1Dimensions)
        : this(1, dimensions)
    {
    }

    private LexicalEmbedder(int version, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, 2000);
        _version = version;
        Dimensions = dimensions;
        var defaultDimensions = version == 1 ? V1Dimensions : DefaultDimensions;
        var baseId = IdPrefix + version.ToString(CultureInfo.InvariantCulture);
        Id = dimensions == defaultDimensions ? baseId : $"{baseId}-{dimensions.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The current version (v2) at <paramref name="dimensions"/>.</summary>
    public static LexicalEmbedder Create(int dimensions = DefaultDimensions) => new(2, dimensions);

    /// <summary>
    /// The embedder an id names — <c>platform-lexical-v1</c> or <c>platform-lexical-v2</c>, optionally
    /// followed by <c>-&lt;dimensions&gt;</c> (16–2000) — or null when the id is not a lexical embedder's.
    /// </summary>
    public static LexicalEmbedder? FromId(string id)
    {
        if (!id.StartsWith(IdPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = id[IdPrefix.Length..].Split('-');
        if (rest.Length > 2 || rest[0] is not ("1" or "2"))
        {
            return null;
        }
        var version = rest[0] == "1" ? 1 : 2;
        var dimensions = version == 1 ? V1Dimensions : DefaultDimensions;
        if (rest.Length == 2 && (!int.TryParse(rest[1], NumberStyles.None, CultureInfo.InvariantCulture, out dimensions)
            || dimensions is < 16 or > 2000 || rest[1] != dimensions.ToString(CultureInfo.InvariantCulture)))
        {
            return null;
        }
        return new LexicalEmbedder(version, dimensions);
    }

    public string Id { get; }

    public int Dimensions { get; }

    public int MaxInputTokens => int.MaxValue;

    public int CountTokens(string text)
    {
        var count = 0;
        var inWord = false;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                if (!inWord)
                {
                    count++;
                    inWord = true;
                }
            }
            else
            {
                inWord = false;
                if (!char.IsWhiteSpace(c))
                {
                    count++;
                }
            }
        }
        return count;
    }

    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var result = new float[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result[i] = EmbedOne(texts[i]);
        }
        return result;
    }

    private float[] EmbedOne(string text)
    {
        var counts = new Dictionary<ulong, (float Weight, int Tf)>();
        if (_version == 1)
        {
            CountV1(counts, Words(text));
        }
        else
        {
            CountV2(counts, Words(text));
        }
        var vector = new float[Dimensions];
        foreach (var (hash, (weight, tf)) in counts)
        {
            var bucket = (int)(hash % (ulong)Dimensions);
            var sign = (hash >> 63) == 0 ? 1f : -1f;
            vector[bucket] += sign * weight * (1 + MathF.Log(tf));
        }
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        if (norm == 0)
        {
            // No term at all (empty, only punctuation or, in v2, only stop words): a fixed unit vector, never a zero one,
            // because a zero vector has no cosine distance.
            vector[0] = 1;
            return vector;
        }
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] /= norm;
        }
        return vector;
    }

    private static void CountV1(Dictionary<ulong, (float Weight, int Tf)> counts, List<string> words)
    {
        for (var i = 0; i < words.Count; i++)
        {
            Count(counts, Fnv("w", words[i]), WordWeight);
            if (i > 0)
            {
                Count(counts, Fnv("b", words[i - 1] + " " + words[i]), BigramWeight);
            }
            var padded = "<" + words[i] + ">";
            for (var n = 3; n <= 5; n++)
            {
                for (var s = 0; s + n <= padded.Length; s++)
                {
                    Count(counts, Fnv("c", padded.Substring(s, n)), CharGramWeight);
                }
            }
        }
    }

    private static void CountV2(Dictionary<ulong, (float Weight, int Tf)> counts, List<string> words)
    {
        string? previous = null;
        foreach (var word in words)
        {
            if (EnglishStopWords.Contains(word))
            {
                continue;
            }
            var term = PluralStemmer.Stem(word);
            Count(counts, Fnv("w", term), WordWeight);
            if (previous is not null)
            {
                Count(counts, Fnv("b", previous + " " + term), BigramWeight);
            }
            previous = term;
        }
    }

    private static void Count(Dictionary<ulong, (float Weight, int Tf)> counts, ulong hash, float weight)
    {
        counts[hash] = counts.TryGetValue(hash, out var seen) ? (seen.Weight, seen.Tf + 1) : (weight, 1);
    }

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        var normalized = text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC);
        foreach (var c in normalized)
        {
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0)
            {
                words.Add(sb.ToString());
                sb.Clear();
            }
        }
        if (sb.Length > 0)
        {
            words.Add(sb.ToString());
        }
        return words;
    }

    private static ulong Fnv(string kind, string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in kind)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        hash = (hash ^ 0x1F) * 1099511628211UL;
        foreach (var c in value)
        {
            hash = (hash ^ (ulong)(c & 0xFF)) * 1099511628211UL;
            hash = (hash ^ (uint)(c >> 8)) * 1099511628211UL;
        }
        // FNV-1a's high bits mix poorly; finish with a 64-bit avalanche (splitmix64's finaliser).
        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return hash;
    }
}
