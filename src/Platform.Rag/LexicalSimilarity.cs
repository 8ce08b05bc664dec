using System.Globalization;
using System.Text;

namespace Platform.Rag;

/// <summary>Jaccard similarity of lower-cased word-bigram sets: 1 for the same text, 0 for no shared pair of words.</summary>
public static class LexicalSimilarity
{
    /// <summary>The set of word bigrams (single words for one-word texts) of <paramref name="text"/>.</summary>
    public static HashSet<string> Features(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in text)
        {
            if (char.IsLetterOrDigit(ch))
            {
                current.Append(char.ToLower(ch, CultureInfo.InvariantCulture));
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (words.Count == 1)
        {
            set.Add(words[0]);
        }
        for (var i = 0; i + 1 < words.Count; i++)
        {
            set.Add(words[i] + " " + words[i + 1]);
        }
        return set;
    }

    /// <summary>|a ∩ b| / |a ∪ b|; 0 when both are empty.</summary>
    public static double Jaccard(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 && b.Count == 0)
        {
            return 0;
        }
        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        var shared = small.Count(large.Contains);
        return (double)shared / (a.Count + b.Count - shared);
    }
}
