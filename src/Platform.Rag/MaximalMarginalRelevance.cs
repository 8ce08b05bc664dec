namespace Platform.Rag;

/// <summary>
/// Maximal marginal relevance (Carbonell and Goldstein, SIGIR 1998): picks, one at a time, the
/// candidate maximising λ·relevance − (1−λ)·max similarity to those already picked, so overlapping
/// chunks (the ingestion overlap, a document uploaded twice under two names) do not fill the
/// context with the same text. Relevance is the candidate's position-normalised fused score;
/// similarity is <see cref="LexicalSimilarity"/> on the chunk texts, because the search API returns
/// no vectors.
/// </summary>
public static class MaximalMarginalRelevance
{
    /// <summary>
    /// Selects up to <paramref name="count"/> of <paramref name="candidates"/> (best first, scores
    /// descending). λ = 1 keeps the input order; lower values trade relevance for novelty.
    /// Candidates whose similarity to an already selected chunk is at least
    /// <paramref name="duplicateThreshold"/> are dropped as duplicates.
    /// </summary>
    public static IReadOnlyList<RetrievedChunk> Select(IReadOnlyList<RetrievedChunk> candidates, int count, double lambda = 0.7,
        double duplicateThreshold = 0.9)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (lambda is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), "λ must be between 0 and 1.");
        }
        if (candidates.Count == 0 || count == 0)
        {
            return [];
        }
        var max = candidates.Max(c => c.Score);
        var min = candidates.Min(c => c.Score);
        var span = max - min;
        var relevance = candidates.Select(c => span > 0 ? (c.Score - min) / span : 1.0).ToArray();
        var features = candidates.Select(c => LexicalSimilarity.Features(c.Content)).ToArray();
        var maxSimilarity = new double[candidates.Count];
        var remaining = Enumerable.Range(0, candidates.Count).ToList();
        var selected = new List<RetrievedChunk>();
        while (selected.Count < count && remaining.Count > 0)
        {
            var best = -1;
            var bestValue = double.NegativeInfinity;
            foreach (var i in remaining)
            {
                var value = lambda * relevance[i] - (1 - lambda) * maxSimilarity[i];
                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }
            remaining.Remove(best);
            selected.Add(candidates[best]);
            var kept = new List<int>(remaining.Count);
            foreach (var i in remaining)
            {
                var similarity = LexicalSimilarity.Jaccard(features[best], features[i]);
                if (similarity >= duplicateThreshold)
                {
                    continue;
                }
                maxSimilarity[i] = Math.Max(maxSimilarity[i], similarity);
                kept.Add(i);
            }
            remaining = kept;
        }
        return selected;
    }
}
