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
/// caller, with the metadata filter passed to both legs), then fuses them with <see cref="HybridRanking"/>.
/// With a relevance cutoff the vector leg always runs, for Ingestion's most candidates, so that every chunk that
/// can pass has its cosine similarity; only the first <see cref="RagOptions.Candidates"/> of it are fused, so the
/// cutoff removes chunks without changing the order of the others.
/// </summary>
public sealed class HybridRetriever(IngestionClient ingestion, RagOptions options)
{
    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(IReadOnlyList<Guid> knowledgeBaseIds, string query, int topK, string mode,
        RetrievalFilter? filter, RetrievalTuning? tuning, double? minRelevance, CancellationToken ct)
    {
        // Ingestion applies the filter inside each leg's query, so every candidate already matches it.
        var candidates = Math.Min(IngestionClient.MaxTopK, Math.Max(options.Candidates, topK));
        var kbs = knowledgeBaseIds.Distinct().ToList();
        var fuseVector = mode is RetrievalModes.Hybrid or RetrievalModes.Vector;
        var vectorK = minRelevance is null ? candidates : IngestionClient.MaxTopK;
        var vector = fuseVector || minRelevance is not null
            ? kbs.Select(kb => ingestion.SearchAsync(kb, query, vectorK, "vector", filter, ct)).ToList()
            : [];
        var textQuery = FullTextQuery.AnyWord(query);
        var text = mode is RetrievalModes.Hybrid or RetrievalModes.FullText
            ? kbs.Select(kb => ingestion.SearchAsync(kb, textQuery, candidates, "text", filter, ct)).ToList()
            : [];
        await Task.WhenAll(vector.Concat(text));
        var similarity = vector.Select(t => t.Result).ToList();
        var fused = fuseVector ? similarity.Select(l => (IReadOnlyList<RetrievedChunk>)l.Take(candidates).ToList()).ToList() : [];
        var legs = new RetrievalLegs(fused, text.Select(t => t.Result).ToList(), similarity);
        var fusion = new FusionSettings(tuning?.Fusion ?? options.Fusion, tuning?.Alpha ?? options.Alpha, tuning?.RrfK ?? options.RrfK);
        return HybridRanking.Rank(legs, topK, fusion, tuning?.MmrLambda ?? options.MmrLambda, filter?.DocumentIds?.ToHashSet(), minRelevance);
    }
}
