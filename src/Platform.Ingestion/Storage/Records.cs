namespace Platform.Ingestion.Storage;

/// <summary>A tenant's knowledge base and the embedding model and chunking it was built with.</summary>
public sealed record KnowledgeBase(
    Guid Id,
    string Name,
    string? Description,
    string EmbeddingModel,
    int EmbeddingDimensions,
    int ChunkTokens,
    int ChunkOverlap,
    DateTimeOffset CreatedAt,
    int DocumentCount,
    long ChunkCount);

/// <summary>Document statuses: queued → processing → ready | failed.</summary>
public static class DocumentStatus
{
    public const string Queued = "queued";
    public const string Processing = "processing";
    public const string Ready = "ready";
    public const string Failed = "failed";
}

/// <summary>An uploaded document and where it stands in the pipeline.</summary>
public sealed record DocumentRecord(
    Guid Id,
    Guid KnowledgeBaseId,
    string FileName,
    string? ContentType,
    long SizeBytes,
    string ContentHash,
    string Status,
    string? FailureReason,
    int ChunkCount,
    int? PageCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<string> Tags,
    DateOnly? Date);

/// <summary>A document's user-supplied metadata: tags and an optional date (e.g. its publication date).</summary>
public sealed record DocumentMetadata(IReadOnlyList<string> Tags, DateOnly? Date)
{
    /// <summary>No tags, no date.</summary>
    public static DocumentMetadata None { get; } = new([], null);
}

/// <summary>A stored chunk with its provenance.</summary>
public sealed record StoredChunk(
    Guid Id,
    Guid KnowledgeBaseId,
    Guid DocumentId,
    int Ordinal,
    string Content,
    int TokenCount,
    int? PageStart,
    int? PageEnd,
    IReadOnlyList<string> HeadingPath,
    int CharStart,
    int CharEnd);

/// <summary>A search result: the chunk, its document's file name, and a score (higher is better).</summary>
/// <param name="Score">Cosine similarity for vector search; ts_rank_cd for full-text search.</param>
public sealed record ChunkHit(StoredChunk Chunk, string FileName, double Score);
