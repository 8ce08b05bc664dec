namespace Platform.Rag;

/// <summary>
/// What the retrievers returned: for each leg one ranked list (best first) per knowledge base searched.
/// A leg that was not run is empty.
/// </summary>
/// <param name="Vector">The vector leg's lists that are fused.</param>
/// <param name="FullText">The full-text leg's lists that are fused.</param>
/// <param name="Similarity">
/// The vector lists each chunk's cosine similarity (<see cref="RetrievedChunk.Relevance"/>) is read from, when
/// longer than the fused ones or run only for scoring (a relevance cutoff in full-text mode); null: <paramref name="Vector"/>.
/// </param>
public sealed record RetrievalLegs(IReadOnlyList<IReadOnlyList<RetrievedChunk>> Vector, IReadOnlyList<IReadOnlyList<RetrievedChunk>> FullText,
    IReadOnlyList<IReadOnlyList<RetrievedChunk>>? Similarity = null)
{
    /// <summary>The lists similarities are read from.</summary>
    public IReadOnlyList<IReadOnlyList<RetrievedChunk>> SimilarityLists => Similarity ?? Vector;

    /// <summary>Both legs with the document filter applied, when there is one.</summary>
    public RetrievalLegs Only(IReadOnlySet<Guid>? documentIds) => documentIds is null
        ? this
        : new RetrievalLegs(Filter(Vector, documentIds), Filter(FullText, documentIds), Similarity);

    private static IReadOnlyList<IReadOnlyList<RetrievedChunk>> Filter(IReadOnlyList<IReadOnlyList<RetrievedChunk>> lists, IReadOnlySet<Guid> documentIds) =>
        lists.Select(l => (IReadOnlyList<RetrievedChunk>)l.Where(c => documentIds.Contains(c.DocumentId)).ToList()).ToList();
}
