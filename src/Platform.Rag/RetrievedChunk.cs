namespace Platform.Rag;

/// <summary>One chunk returned by retrieval, with where it came from and its score.</summary>
/// <param name="Id">The chunk id.</param>
/// <param name="DocumentId">The document the chunk belongs to.</param>
/// <param name="KnowledgeBaseId">The knowledge base the document belongs to.</param>
/// <param name="FileName">The uploaded file name (the document's title), when known.</param>
/// <param name="Content">The chunk text.</param>
/// <param name="PageStart">First page (PDF) or null.</param>
/// <param name="PageEnd">Last page (PDF) or null.</param>
/// <param name="HeadingPath">Headings above the chunk, outermost first.</param>
/// <param name="Score">The score of the stage that produced this value (retriever score, then fused score).</param>
/// <param name="Relevance">
/// The cosine similarity of the chunk's vector to the query's, from the vector leg; null when the vector leg
/// did not run or did not return the chunk. The absolute score a relevance cutoff applies to (<see cref="RelevanceCutoff"/>).
/// </param>
public sealed record RetrievedChunk(
    Guid Id,
    Guid DocumentId,
    Guid KnowledgeBaseId,
    string? FileName,
    string Content,
    int? PageStart,
    int? PageEnd,
    IReadOnlyList<string> HeadingPath,
    double Score,
    double? Relevance = null);
