using System.Text.Json.Serialization;

namespace Platform.Ingestion.Pipeline;

/// <summary>
/// A progress event for the portal, published as JSON on the Redis channel
/// <c>ingestion:events:{tenant}</c>. Delivery is best effort (pub/sub): the document's status in
/// the database is the truth.
/// </summary>
public sealed record IngestionEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("knowledge_base_id")] Guid KnowledgeBaseId,
    [property: JsonPropertyName("document_id")] Guid DocumentId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("stage")] string? Stage = null,
    [property: JsonPropertyName("chunks_done")] int? ChunksDone = null,
    [property: JsonPropertyName("chunks_total")] int? ChunksTotal = null,
    [property: JsonPropertyName("reason")] string? Reason = null)
{
    public static string Channel(Guid tenantId) => $"ingestion:events:{tenantId}";
}
