namespace Platform.Inference.Embeddings;

/// <summary>
/// Harman's "S" stemmer (JASIS 1991): folds English plurals onto the singular ("studies" → "study",
/// "cells" → "cell") and leaves everything else alone. Deliberately lighter than the Snowball stemmer
/// of full-text search: it never conflates different words ("organization" / "organ"), and it needs no
/// tables, so the embedder stays dependency-free and deterministic.
/// </summary>
public static class PluralStemmer
{
    /// <summary>The stem of a lower-case word.</summary>
    public static string Stem(string word)
    {
        if (word.Length > 3 && word.EndsWith("ies", StringComparison.Ordinal) && !word.EndsWith("eies", StringComparison.Ordinal)
            && !word.EndsWith("aies", StringComparison.Ordinal))
        {
            return word[..^3] + "y";
        }
        if (word.Length > 3 && word.EndsWith("es", StringComparison.Ordinal) && !word.EndsWith("aes", StringComparison.Ordinal)
            && !word.EndsWith("ees", StringComparison.Ordinal) && !word.EndsWith("oes", StringComparison.Ordinal))
        {
            return word[..^1];
        }
        if (word.Length > 2 && word[^1] == 's' && word[^2] is not ('u' or 's'))
        {
            return word[..^1];
        }
        return word;
    }
}
