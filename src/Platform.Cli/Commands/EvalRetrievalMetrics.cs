namespace Platform.Cli.Commands;

/// <summary>One query's ranking scored against its judgements (BEIR / pytrec_eval definitions).</summary>
public static class EvalRetrievalMetrics
{
    /// <summary>nDCG@k with graded gains (rel) and log2(rank + 1) discounts; the ideal ranking uses every judged document.</summary>
    public static double NdcgAt(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> relevance, int k)
    {
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            if (relevance.TryGetValue(ranking[i], out var rel) && rel > 0)
            {
                dcg += rel / Math.Log2(i + 2);
            }
        }
        var ideal = relevance.Values.Where(r => r > 0).OrderByDescending(r => r).Take(k).Select((r, i) => r / Math.Log2(i + 2)).Sum();
        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>Share of the relevant documents found in the first k.</summary>
    public static double RecallAt(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> relevance, int k)
    {
        var relevant = relevance.Count(r => r.Value > 0);
        return relevant == 0 ? 0 : (double)ranking.Take(k).Count(d => relevance.TryGetValue(d, out var rel) && rel > 0) / relevant;
    }

    /// <summary>1 / rank of the first relevant document in the first k, 0 if none.</summary>
    public static double MrrAt(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> relevance, int k)
    {
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            if (relevance.TryGetValue(ranking[i], out var rel) && rel > 0)
            {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    /// <summary>A chunk ranking as a document ranking: each document at its best chunk's rank.</summary>
    public static IReadOnlyList<string> DocumentRanking(IEnumerable<string> chunkDocuments) => chunkDocuments.Distinct().ToList();
}
