namespace Platform.Ingestion.Chunking;

/// <summary>One chunk of a document, ready to embed.</summary>
/// <param name="Ordinal">0-based position in the document.</param>
/// <param name="Content">Exactly <c>DocumentText[CharStart..CharEnd]</c> of the normalised document text.</param>
/// <param name="TokenCount">Tokens of the embedding model in <paramref name="Content"/>.</param>
/// <param name="PageStart">First page the chunk draws from (paginated formats only).</param>
/// <param name="PageEnd">Last page the chunk draws from.</param>
/// <param name="HeadingPath">Headings enclosing the chunk, outermost first.</param>
/// <param name="CharStart">Start offset in the normalised document text.</param>
/// <param name="CharEnd">End offset (exclusive) in the normalised document text.</param>
public sealed record Chunk(
    int Ordinal,
    string Content,
    int TokenCount,
    int? PageStart,
    int? PageEnd,
    IReadOnlyList<string> HeadingPath,
    int CharStart,
    int CharEnd);

/// <summary>The chunks of a document together with the normalised text their offsets refer to.</summary>
public sealed record ChunkedDocument(string Text, IReadOnlyList<Chunk> Chunks);
