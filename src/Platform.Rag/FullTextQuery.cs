using System.Text;

namespace Platform.Rag;

/// <summary>
/// Rewrites a natural-language question for Ingestion's full-text search, which parses it with
/// PostgreSQL's <c>websearch_to_tsquery</c>: there every word is required (AND), so a sentence-long
/// question matches almost no chunk. Joining the words with <c>or</c> makes any word match, and
/// Ingestion ranks the matches by BM25, so chunks sharing more and rarer words rank higher. A query that
/// already uses web-search syntax (quotes, <c>or</c>, a leading <c>-</c>) is passed through unchanged.
/// </summary>
public static class FullTextQuery
{
    /// <summary>The query to send; unchanged when it already uses web-search operators or has no words.</summary>
    public static string AnyWord(string query)
    {
        if (query.Contains('"') || query.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Any(w => w.Equals("or", StringComparison.OrdinalIgnoreCase) || (w.Length > 1 && w[0] == '-')))
        {
            return query;
        }
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in query + " ")
        {
            if (char.IsLetterOrDigit(ch))
            {
                current.Append(ch);
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }
        var distinct = words.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return distinct.Count <= 1 ? query : string.Join(" or ", distinct);
    }
}
