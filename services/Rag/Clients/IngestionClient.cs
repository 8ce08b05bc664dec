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

    /// <summary>
    /// Chunks of <paramref name="kbId"/> best first; mode "vector" or "text". A <paramref name="vector"/> (vector mode) is the
    /// query already embedded with the knowledge base's embedder; without it Ingestion embeds the text.
    /// </summary>
    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(Guid kbId, string query, int topK, string mode, RetrievalFilter? filter, CancellationToken ct,
        float[]? vector = null)
    {
        var request = new IngestionSearchRequest(query, Math.Min(topK, MaxTopK), mode, filter?.DocumentIds, filter?.TagsAny, filter?.TagsAll,
            filter?.DateFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), filter?.DateTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), vector);
        var list = await SendAsync<IngestionList>(kbId, "a search", (c, t) => c.PostAsJsonAsync($"v1/knowledge-bases/{kbId}/search", request, t), ct);
        return list.Data.Select(c => new RetrievedChunk(c.Id, c.DocumentId, c.KnowledgeBaseId, c.FileName, c.Content, c.PageStart, c.PageEnd,
            c.HeadingPath ?? [], c.Score ?? 0)).ToList();
    }

    /// <summary>The embedder <paramref name="kbId"/> was built with (Ingestion's knowledge-base read).</summary>
    public async Task<KnowledgeBaseEmbedder> EmbedderAsync(Guid kbId, CancellationToken ct)
    {
        var kb = await SendAsync<IngestionKnowledgeBase>(kbId, "a knowledge-base read", (c, t) => c.GetAsync($"v1/knowledge-bases/{kbId}", t), ct);
        return new KnowledgeBaseEmbedder(kb.EmbeddingModel, kb.EmbeddingDimensions);
    }

    /// <summary>One call as the caller within the lookup deadline: 404 → missing knowledge base, unreachable or failing → 503.</summary>
    private async Task<T> SendAsync<T>(Guid kbId, string what, Func<HttpClient, CancellationToken, Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        var client = factory.CreateClient(ServiceClients.Ingestion);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.LookupTimeout);
        HttpResponseMessage response;
        try
        {
            response = await send(client, deadline.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Ingestion {What} for knowledge base {KnowledgeBaseId} failed to connect", what, kbId);
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
                logger.LogWarning("Ingestion {What} for knowledge base {KnowledgeBaseId} answered {Status}: {Body}", what, kbId, (int)response.StatusCode, body);
                throw new ServiceUnavailableException($"The ingestion service answered {(int)response.StatusCode} to {what}; retrieval cannot run.");
            }
            return await response.Content.ReadFromJsonAsync<T>(ct)
                ?? throw new ServiceUnavailableException($"The ingestion service answered {what} with an empty body.");
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
        [property: JsonPropertyName("date_to"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DateTo,
        [property: JsonPropertyName("query_vector"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? QueryVector);

    private sealed record IngestionKnowledgeBase(
        [property: JsonPropertyName("embedding_model")] string EmbeddingModel,
        [property: JsonPropertyName("embedding_dimensions")] int EmbeddingDimensions);

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
