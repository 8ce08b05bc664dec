using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Ingestion.Storage;

namespace Platform.Services.Ingestion.Apis;

public sealed record CreateKnowledgeBaseRequest(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("embedding_model")] string? EmbeddingModel,
    [property: JsonPropertyName("chunk_tokens")] int? ChunkTokens,
    [property: JsonPropertyName("chunk_overlap")] int? ChunkOverlap);

public sealed record KnowledgeBaseResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("embedding_model")] string EmbeddingModel,
    [property: JsonPropertyName("embedding_dimensions")] int EmbeddingDimensions,
    [property: JsonPropertyName("chunk_tokens")] int ChunkTokens,
    [property: JsonPropertyName("chunk_overlap")] int ChunkOverlap,
    [property: JsonPropertyName("document_count")] int DocumentCount,
    [property: JsonPropertyName("chunk_count")] long ChunkCount,
    [property: JsonPropertyName("created_at")] long CreatedAt)
{
    public static KnowledgeBaseResponse From(KnowledgeBase kb) => new(kb.Id, "knowledge_base", kb.Name, kb.Description, kb.EmbeddingModel,
        kb.EmbeddingDimensions, kb.ChunkTokens, kb.ChunkOverlap, kb.DocumentCount, kb.ChunkCount, kb.CreatedAt.ToUnixTimeSeconds());
}

public sealed record DocumentResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("knowledge_base_id")] Guid KnowledgeBaseId,
    [property: JsonPropertyName("filename")] string FileName,
    [property: JsonPropertyName("content_type")] string? ContentType,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("failure_reason")] string? FailureReason,
    [property: JsonPropertyName("chunk_count")] int ChunkCount,
    [property: JsonPropertyName("page_count")] int? PageCount,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("updated_at")] long UpdatedAt,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("date")] string? Date)
{
    public static DocumentResponse From(DocumentRecord d) => new(d.Id, "knowledge_base.document", d.KnowledgeBaseId, d.FileName, d.ContentType,
        d.SizeBytes, d.ContentHash, d.Status, d.FailureReason, d.ChunkCount, d.PageCount, d.CreatedAt.ToUnixTimeSeconds(), d.UpdatedAt.ToUnixTimeSeconds(),
        d.Tags, d.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
}

/// <summary>PATCH of a document: tags (replacing all of them; [] clears) and/or date (null clears). An absent field is unchanged.</summary>
public sealed record UpdateDocumentRequest(
    [property: JsonPropertyName("tags")] IReadOnlyList<string?>? Tags,
    [property: JsonPropertyName("date")] JsonElement Date);

public sealed record ChunkResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("document_id")] Guid DocumentId,
    [property: JsonPropertyName("knowledge_base_id")] Guid KnowledgeBaseId,
    [property: JsonPropertyName("filename")] string? FileName,
    [property: JsonPropertyName("ordinal")] int Ordinal,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("token_count")] int TokenCount,
    [property: JsonPropertyName("page_start")] int? PageStart,
    [property: JsonPropertyName("page_end")] int? PageEnd,
    [property: JsonPropertyName("heading_path")] IReadOnlyList<string> HeadingPath,
    [property: JsonPropertyName("char_start")] int CharStart,
    [property: JsonPropertyName("char_end")] int CharEnd,
    [property: JsonPropertyName("score")] double? Score)
{
    public static ChunkResponse From(StoredChunk c, string? fileName = null, double? score = null) => new(c.Id, c.DocumentId, c.KnowledgeBaseId,
        fileName, c.Ordinal, c.Content, c.TokenCount, c.PageStart, c.PageEnd, c.HeadingPath, c.CharStart, c.CharEnd, score);
}

/// <summary>
/// A search of one knowledge base. <c>query_vector</c> (vector mode only) is the query already embedded with the
/// knowledge base's embedder (e.g. by the Inference service's /v1/embeddings); its length must be the knowledge
/// base's dimension. Without it the query text is embedded here.
/// </summary>
public sealed record SearchRequest(
    [property: JsonPropertyName("query")] string? Query,
    [property: JsonPropertyName("top_k")] int? TopK,
    [property: JsonPropertyName("mode")] string? Mode,
    [property: JsonPropertyName("document_ids")] IReadOnlyList<Guid>? DocumentIds = null,
    [property: JsonPropertyName("tags_any")] IReadOnlyList<string?>? TagsAny = null,
    [property: JsonPropertyName("tags_all")] IReadOnlyList<string?>? TagsAll = null,
    [property: JsonPropertyName("date_from")] string? DateFrom = null,
    [property: JsonPropertyName("date_to")] string? DateTo = null,
    [property: JsonPropertyName("query_vector")] float[]? QueryVector = null);

public sealed record ListResponse<T>(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<T> Data);

public sealed record DeletedResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("deleted")] bool Deleted);
