using System.Globalization;
using System.Text;
using Platform.Inference.Embeddings;

namespace Platform.Ingestion.Embeddings;

/// <summary>
/// The built-in embedder that needs no model: feature hashing of lower-cased words, word bigrams and
/// character 3–5-grams (of each word padded with boundary marks) into a fixed number of buckets with
/// a hash-derived sign, sub-linear TF weights (1 + ln tf), L2-normalised. Deterministic across runs
/// and machines. It captures LEXICAL similarity — shared words, word pieces and spellings — not
/// meaning: "car" and "automobile" are unrelated to it. Use a BERT-family model for semantics.
/// Its "tokens" (for chunk sizing) are words and individual punctuation marks.
/// </summary>
public sealed class LexicalEmbedder : IEmbeddingModel
{
    /// <summary>The id knowledge bases record for this embedder at its default dimension.</summary>
    public const string DefaultId = "platform-lexical-v1";

    public const int DefaultDimensions = 384;

    private const float WordWeight = 1.0f;
    private const float BigramWeight = 0.5f;
    private const float CharGramWeight = 0.25f;

    public LexicalEmbedder(int dimensions = DefaultDimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, 2000);
        Dimensions = dimensions;
        Id = dimensions == DefaultDimensions ? DefaultId : $"{DefaultId}-{dimensions.ToString(CultureInfo.InvariantCulture)}";
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
        var words = Words(text);
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
            // No word at all (only punctuation or empty): a fixed unit vector, never a zero one,
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
