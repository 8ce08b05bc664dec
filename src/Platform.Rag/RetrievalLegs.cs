namespace Platform.Rag;

/// <summary>
/// What the retrievers returned: for each leg one ranked list (best first) per knowledge base searched.
/// A leg that was not run is empty.
/// </summary>
public sealed record RetrievalLegs(IReadOnlyList<IReadOnlyList<RetrievedChunk>> Vector, IReadOnlyList<IReadOnlyList<RetrievedChunk>> FullText)
{
    /// <summary>Both legs with the document filter applied, when there is one.</summary>
    public RetrievalLegs Only(IReadOnlySet<Guid>? documentIds) => documentIds is null
        ? this
        : new RetrievalLegs(Filter(Vector, documentIds), Filter(FullText, documentIds));

    private static IReadOnlyList<IReadOnlyList<RetrievedChunk>> Filter(IReadOnlyList<IReadOnlyList<RetrievedChunk>> lists, IReadOnlySet<Guid> documentIds) =>
        lists.Select(l => (IReadOnlyList<RetrievedChunk>)l.Where(c => documentIds.Contains(c.DocumentId)).ToList()).ToList();
}
