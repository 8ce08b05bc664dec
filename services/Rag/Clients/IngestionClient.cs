using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Platform.Rag;

namespace Platform.Services.Rag.Clients;

/// <summary>Ingestion's <c>POST /v1/knowledge-bases/{kb}/search</c>, called as the current caller.</summary>
public sealed class IngestionClient(IHttpClientFactory factory, RagOptions options, ILogger<IngestionClient> logger)
{
    /// <summary>Ingestion's most results per call.</summary>
    public const int MaxTopK = 100;

    /// <summary>Chunks of <paramref name="kbId"/> best first; mode "vector" or "text".</summary>
    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(Guid kbId, string query, int topK, string mode, RetrievalFilter? filter, CancellationToken ct)
    {
        var client = factory.CreateClient(ServiceClients.Ingestion);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.LookupTimeout);
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsJsonAsync($"v1/knowledge-bases/{kbId}/search",
                new IngestionSearchRequest(query, Math.Min(topK, MaxTopK), mode, filter?.DocumentIds, filter?.TagsAny, filter?.TagsAll,
                    filter?.DateFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), filter?.DateTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                deadline.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Ingestion search for knowledge base {KnowledgeBaseId} failed to connect", kbId);
            throw new ServiceUnavailableException("The ingestion service is unavailable or did not answer in time; retrieval cannot run. Try again shortly.", e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new KnowledgeBaseNotFoundException(kbId);
            }
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                logger.LogWarning("Ingestion search for knowledge base {KnowledgeBaseId} answered {Status}: {Body}", kbId, (int)response.StatusCode, body);
                throw new ServiceUnavailableException($"The ingestion service answered {(int)response.StatusCode} to a search; retrieval cannot run.");
            }
            var list = await response.Content.ReadFromJsonAsync<IngestionList>(ct)
                ?? throw new ServiceUnavailableException("The ingestion service answered a search with an empty body.");
            return list.Data.Select(c => new RetrievedChunk(c.Id, c.DocumentId, c.KnowledgeBaseId, c.FileName, c.Content, c.PageStart, c.PageEnd,
                c.HeadingPath ?? [], c.Score ?? 0)).ToList();
        }
    }

    private sealed record IngestionSearchRequest(
        [property: JsonPropertyName("query")] string Query,
        [property: JsonPropertyName("top_k")] int TopK,
        [property: JsonPropertyName("mode")] string Mode,
        [property: JsonPropertyName("document_ids"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Guid>? DocumentIds,
        [property: JsonPropertyName("tags_any"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? TagsAny,
        [property: JsonPropertyName("tags_all"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? TagsAll,
        [property: JsonPropertyName("date_from"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DateFrom,
        [property: JsonPropertyName("date_to"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DateTo);

    private sealed record IngestionList([property: JsonPropertyName("data")] IReadOnlyList<IngestionChunk> Data);

    private sealed record IngestionChunk(
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("document_id")] Guid DocumentId,
        [property: JsonPropertyName("knowledge_base_id")] Guid KnowledgeBaseId,
        [property: JsonPropertyName("filename")] string? FileName,
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("page_start")] int? PageStart,
        [property: JsonPropertyName("page_end")] int? PageEnd,
        [property: JsonPropertyName("heading_path")] IReadOnlyList<string>? HeadingPath,
        [property: JsonPropertyName("score")] double? Score);
}
