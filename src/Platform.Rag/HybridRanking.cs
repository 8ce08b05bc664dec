namespace Platform.Rag;

/// <summary>
/// The ranking half of hybrid retrieval: ranked lists from each retriever and knowledge base →
/// optional document filter → reciprocal rank fusion → MMR de-duplication → top k.
/// </summary>
public static class HybridRanking
{
    /// <summary>Fuses <paramref name="rankings"/> (each best first) and returns the best <paramref name="topK"/>.</summary>
    /// <param name="rankings">One list per (retriever, knowledge base).</param>
    /// <param name="topK">How many chunks to return.</param>
    /// <param name="rrfK">The k of reciprocal rank fusion.</param>
    /// <param name="mmrLambda">MMR trade-off; 1 keeps the fused order (duplicates are still dropped).</param>
    /// <param name="documentIds">When not null, only chunks of these documents are kept.</param>
    public static IReadOnlyList<RetrievedChunk> Rank(IEnumerable<IReadOnlyList<RetrievedChunk>> rankings, int topK, int rrfK, double mmrLambda,
        IReadOnlySet<Guid>? documentIds = null)
    {
        var filtered = documentIds is null
            ? rankings
            : rankings.Select(r => (IReadOnlyList<RetrievedChunk>)r.Where(c => documentIds.Contains(c.DocumentId)).ToList());
        var fused = ReciprocalRankFusion.Fuse(filtered, rrfK);
        return MaximalMarginalRelevance.Select(fused, topK, mmrLambda);
    }
}
