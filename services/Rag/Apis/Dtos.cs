using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Rag;

namespace Platform.Services.Rag.Apis;

/// <summary>Metadata filters, applied by Ingestion in SQL to both retrieval legs; see <see cref="RetrievalFilter"/>.</summary>
public sealed record RagFilters(
    [property: JsonPropertyName("document_ids")] IReadOnlyList<Guid>? DocumentIds,
    [property: JsonPropertyName("tags_any")] IReadOnlyList<string?>? TagsAny = null,
    [property: JsonPropertyName("tags_all")] IReadOnlyList<string?>? TagsAll = null,
    [property: JsonPropertyName("date_from")] string? DateFrom = null,
    [property: JsonPropertyName("date_to")] string? DateTo = null)
{
    /// <summary>The validated filter; null with the offending field ("filters.…") and why when a value is bad.</summary>
    public RetrievalFilter? Parse(out string? field, out string? error)
    {
        var filter = RetrievalFilter.Parse(DocumentIds, TagsAny, TagsAll, DateFrom, DateTo, out field, out error);
        field = field is null ? null : "filters." + field;
        return filter;
    }
}

public sealed record RagSearchRequest(
    [property: JsonPropertyName("knowledge_base_ids")] IReadOnlyList<Guid>? KnowledgeBaseIds,
    [property: JsonPropertyName("query")] string? Query,
    [property: JsonPropertyName("top_k")] int? TopK,
    [property: JsonPropertyName("mode")] string? Mode,
    [property: JsonPropertyName("filters")] RagFilters? Filters,
    [property: JsonPropertyName("mmr_lambda")] double? MmrLambda,
    [property: JsonPropertyName("fusion")] string? Fusion = null,
    [property: JsonPropertyName("alpha")] double? Alpha = null,
    [property: JsonPropertyName("rrf_k")] int? RrfK = null,
    [property: JsonPropertyName("min_relevance")] double? MinRelevance = null);

public sealed record RagChunkResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("document_id")] Guid DocumentId,
    [property: JsonPropertyName("knowledge_base_id")] Guid KnowledgeBaseId,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("page_start")] int? PageStart,
    [property: JsonPropertyName("page_end")] int? PageEnd,
    [property: JsonPropertyName("heading_path")] IReadOnlyList<string> HeadingPath,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("relevance")] double? Relevance)
{
    public static RagChunkResponse From(RetrievedChunk c, int rank) =>
        new(c.Id, c.DocumentId, c.KnowledgeBaseId, c.FileName, c.Content, c.PageStart, c.PageEnd, c.HeadingPath, c.Score, rank, c.Relevance);
}

public sealed record RagSearchResponse(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("data")] IReadOnlyList<RagChunkResponse> Data);

public sealed record ChatMessageDto(
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("content")] JsonElement Content);

public sealed record RagChatRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("messages")] IReadOnlyList<ChatMessageDto>? Messages,
    [property: JsonPropertyName("knowledge_base_ids")] IReadOnlyList<Guid>? KnowledgeBaseIds,
    [property: JsonPropertyName("top_k")] int? TopK,
    [property: JsonPropertyName("mode")] string? Mode,
    [property: JsonPropertyName("filters")] RagFilters? Filters,
    [property: JsonPropertyName("template")] string? Template,
    [property: JsonPropertyName("session_id")] Guid? SessionId,
    [property: JsonPropertyName("stream")] bool? Stream,
    [property: JsonPropertyName("max_tokens")] int? MaxTokens,
    [property: JsonPropertyName("temperature")] double? Temperature,
    [property: JsonPropertyName("top_p")] double? TopP,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonPropertyName("min_relevance")] double? MinRelevance = null,
    [property: JsonPropertyName("n")] int? N = null,
    [property: JsonPropertyName("response_format")] JsonElement? ResponseFormat = null,
    [property: JsonPropertyName("tools")] JsonElement? Tools = null,
    [property: JsonPropertyName("logprobs")] JsonElement? Logprobs = null);

public sealed record CitationDto(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("chunk_id")] Guid ChunkId,
    [property: JsonPropertyName("document_id")] Guid DocumentId,
    [property: JsonPropertyName("knowledge_base_id")] Guid KnowledgeBaseId,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("page")] int? Page,
    [property: JsonPropertyName("quote")] string Quote)
{
    public static CitationDto From(Citation c) =>
        new(c.Marker, c.Chunk.Id, c.Chunk.DocumentId, c.Chunk.KnowledgeBaseId, c.Chunk.FileName, c.Chunk.PageStart, c.Quote);
}

public sealed record TemplateRequest([property: JsonPropertyName("template")] string? Template);

public sealed record TemplateResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("template")] string Template,
    [property: JsonPropertyName("updated_at")] long UpdatedAt);

public sealed record ListResponse<T>(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<T> Data);
