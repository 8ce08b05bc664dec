namespace Platform.Rag;

/// <summary>
/// The ranking half of hybrid retrieval: the retrievers' lists → optional document filter → fusion
/// (<see cref="RelativeScoreFusion"/> or weighted <see cref="ReciprocalRankFusion"/>) → each chunk's cosine
/// similarity attached and the optional <see cref="RelevanceCutoff"/> applied → MMR selection of the top k
/// (near-duplicates always dropped). The cutoff only removes chunks; it never reorders them.
/// </summary>
public static class HybridRanking
{
    /// <summary>Fuses the legs and returns the best <paramref name="topK"/>.</summary>
    /// <param name="legs">The vector and full-text lists, one per knowledge base; an empty leg was not run.</param>
    /// <param name="topK">How many chunks to return.</param>
    /// <param name="fusion">Method and leg weight. When only one leg ran it gets the whole weight.</param>
    /// <param name="mmrLambda">MMR trade-off; 1 keeps the fused order (duplicates are still dropped).</param>
    /// <param name="documentIds">When not null, only chunks of these documents are kept.</param>
    /// <param name="minRelevance">When not null, only chunks whose cosine similarity to the query is known and at least this are kept.</param>
    public static IReadOnlyList<RetrievedChunk> Rank(RetrievalLegs legs, int topK, FusionSettings fusion, double mmrLambda,
        IReadOnlySet<Guid>? documentIds = null, double? minRelevance = null)
    {
        ArgumentNullException.ThrowIfNull(fusion);
        if (fusion.Alpha is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fusion), "α must be between 0 and 1.");
        }
        var filtered = legs.Only(documentIds);
        var (vectorWeight, textWeight) = (filtered.Vector.Count > 0, filtered.FullText.Count > 0) switch
        {
            (true, true) => (fusion.Alpha, 1 - fusion.Alpha),
            _ => (1.0, 1.0),
        };
        var fused = fusion.Method switch
        {
            FusionSettings.RelativeScore => RelativeScoreFusion.Fuse([(filtered.Vector, vectorWeight), (filtered.FullText, textWeight)]),
            FusionSettings.Rrf => ReciprocalRankFusion.Fuse(
                filtered.Vector.Select(l => (l, vectorWeight)).Concat(filtered.FullText.Select(l => (l, textWeight))), fusion.RrfK),
            _ => throw new ArgumentOutOfRangeException(nameof(fusion), $"Unknown fusion method '{fusion.Method}'."),
        };
        var relevant = RelevanceCutoff.Apply(fused, RelevanceCutoff.Similarities(filtered.SimilarityLists), minRelevance);
        return MaximalMarginalRelevance.Select(relevant, topK, mmrLambda);
    }
}
