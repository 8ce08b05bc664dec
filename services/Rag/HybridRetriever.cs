using Platform.Rag;
using Platform.Services.Rag.Clients;

namespace Platform.Services.Rag;

/// <summary>Retrieval modes of /v1/rag/search and chat.</summary>
public static class RetrievalModes
{
    public const string Hybrid = "hybrid";
    public const string Vector = "vector";
    public const string FullText = "fulltext";

    public static bool IsValid(string mode) => mode is Hybrid or Vector or FullText;
}

/// <summary>
/// Asks Ingestion for vector and/or full-text candidates of every knowledge base (in parallel, as the
/// caller), then fuses them with <see cref="HybridRanking"/>.
/// </summary>
public sealed class HybridRetriever(IngestionClient ingestion, RagOptions options)
{
    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(IReadOnlyList<Guid> knowledgeBaseIds, string query, int topK, string mode,
        IReadOnlySet<Guid>? documentIds, double? mmrLambda, CancellationToken ct)
    {
        // A document filter is applied here, after retrieval (Ingestion's search has no filters): fetch more.
        var candidates = Math.Min(IngestionClient.MaxTopK, Math.Max(options.Candidates, documentIds is null ? topK : topK * 4));
        string[] retrievers = mode switch
        {
            RetrievalModes.Vector => ["vector"],
            RetrievalModes.FullText => ["text"],
            _ => ["vector", "text"],
        };
        var textQuery = FullTextQuery.AnyWord(query);
        var calls = knowledgeBaseIds.Distinct()
            .SelectMany(kb => retrievers.Select(r => ingestion.SearchAsync(kb, r == "text" ? textQuery : query, candidates, r, ct))).ToList();
        var lists = await Task.WhenAll(calls);
        return HybridRanking.Rank(lists, topK, options.RrfK, mmrLambda ?? options.MmrLambda, documentIds);
    }
}
