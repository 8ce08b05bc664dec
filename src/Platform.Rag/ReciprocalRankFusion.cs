namespace Platform.Rag;

/// <summary>
/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): each list adds
/// 1 / (k + rank) to an item, rank starting at 1. Scores of different retrievers are never compared,
/// only their orders, so cosine similarities and BM25 values fuse without calibration. A list may
/// carry a weight that multiplies its contributions (Elasticsearch's weighted RRF retriever).
/// </summary>
public static class ReciprocalRankFusion
{
    /// <summary>The constant from the paper; larger values flatten the head of each list.</summary>
    public const int DefaultK = 60;

    /// <summary>
    /// Fuses ranked lists of chunks (best first) into one list, best first, with the fused score in
    /// <see cref="RetrievedChunk.Score"/>. A chunk in several lists keeps the first copy seen. Ties are
    /// broken by the best single rank, then by chunk id, so the result is deterministic.
    /// </summary>
    public static IReadOnlyList<RetrievedChunk> Fuse(IEnumerable<IReadOnlyList<RetrievedChunk>> rankings, int k = DefaultK) =>
        Fuse(rankings.Select(r => (r, 1.0)), k);

    /// <summary>Weighted RRF: each list adds weight / (k + rank); otherwise as the unweighted overload.</summary>
    public static IReadOnlyList<RetrievedChunk> Fuse(IEnumerable<(IReadOnlyList<RetrievedChunk> Ranking, double Weight)> rankings, int k = DefaultK)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var fused = new Dictionary<Guid, (RetrievedChunk Chunk, double Score, int BestRank)>();
        foreach (var (ranking, weight) in rankings)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(weight);
            var seen = new HashSet<Guid>();
            for (var i = 0; i < ranking.Count; i++)
            {
                var chunk = ranking[i];
                if (!seen.Add(chunk.Id))
                {
                    continue; // a duplicate inside one list counts once, at its best rank
                }
                var contribution = weight / (k + i + 1);
                fused[chunk.Id] = fused.TryGetValue(chunk.Id, out var entry)
                    ? (entry.Chunk, entry.Score + contribution, Math.Min(entry.BestRank, i + 1))
                    : (chunk, contribution, i + 1);
            }
        }
        return fused.Values
            .OrderByDescending(e => e.Score)
            .ThenBy(e => e.BestRank)
            .ThenBy(e => e.Chunk.Id)
            .Select(e => e.Chunk with { Score = e.Score })
            .ToList();
    }
}
