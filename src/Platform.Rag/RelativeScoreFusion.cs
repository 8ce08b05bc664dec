namespace Platform.Rag;

/// <summary>
/// Convex combination of normalised scores (Weaviate's relativeScoreFusion; Elasticsearch's linear
/// retriever with the min-max normaliser): within each leg, scores are min-max normalised to 0–1 over
/// that leg's candidates, and a chunk's fused score is Σ weight × normalised score, a leg that did not
/// return it adding 0. Unlike rank fusion it keeps how far apart a leg's candidates are, so a leg that
/// is sure of its best match outweighs one that barely prefers it; Bruch, Gai and Ingber ("An Analysis
/// of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023) found it ahead of RRF and its one weight
/// easy to set.
/// </summary>
public static class RelativeScoreFusion
{
    /// <summary>
    /// Fuses weighted legs into one list, best first, with the fused score in <see cref="RetrievedChunk.Score"/>.
    /// Each leg's lists (one per knowledge base) are pooled first — a chunk keeps its best score — so
    /// scores of one retriever are compared with each other, never with another retriever's. Ties are
    /// broken by chunk id, so the result is deterministic.
    /// </summary>
    public static IReadOnlyList<RetrievedChunk> Fuse(IEnumerable<(IReadOnlyList<IReadOnlyList<RetrievedChunk>> Lists, double Weight)> legs)
    {
        var fused = new Dictionary<Guid, (RetrievedChunk Chunk, double Score)>();
        foreach (var (lists, weight) in legs)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(weight);
            var pooled = new Dictionary<Guid, RetrievedChunk>();
            foreach (var chunk in lists.SelectMany(l => l))
            {
                if (!pooled.TryGetValue(chunk.Id, out var seen) || chunk.Score > seen.Score)
                {
                    pooled[chunk.Id] = chunk;
                }
            }
            if (pooled.Count == 0)
            {
                continue;
            }
            var max = pooled.Values.Max(c => c.Score);
            var min = pooled.Values.Min(c => c.Score);
            var span = max - min;
            foreach (var chunk in pooled.Values)
            {
                // One candidate, or all equal: each is as good as the leg's best.
                var contribution = weight * (span > 0 ? (chunk.Score - min) / span : 1.0);
                fused[chunk.Id] = fused.TryGetValue(chunk.Id, out var entry) ? (entry.Chunk, entry.Score + contribution) : (chunk, contribution);
            }
        }
        return fused.Values
            .OrderByDescending(e => e.Score)
            .ThenBy(e => e.Chunk.Id)
            .Select(e => e.Chunk with { Score = e.Score })
            .ToList();
    }
}
