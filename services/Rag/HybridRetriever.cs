using Microsoft.SemanticKernel;
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
/// For the vector leg the query is embedded once per distinct embedder of the knowledge bases (read from Ingestion)
/// by the Kernel's embedding generator — the Inference service — and the vector is sent to Ingestion.
/// With a relevance cutoff the vector leg always runs, for Ingestion's most candidates, so that every chunk that
/// can pass has its cosine similarity; only the first <see cref="RagOptions.Candidates"/> of it are fused, so the
/// cutoff removes chunks without changing the order of the others.
/// </summary>
public sealed class HybridRetriever(IngestionClient ingestion, InferenceKernel kernels, QueryEmbedder embedder, RagOptions options)
{
    /// <summary>Whether a search runs the vector leg: in hybrid and vector mode, and for scoring whenever there is a cutoff.</summary>
    public static bool RunsVectorLeg(string mode, double? minRelevance) =>
        mode is RetrievalModes.Hybrid or RetrievalModes.Vector || minRelevance is not null;

    /// <summary>
    /// The embedder of each knowledge base whose query the Kernel will embed; empty when no vector leg runs or
    /// Ingestion embeds queries (<see cref="RagOptions.QueryEmbedding"/>). A missing or another tenant's knowledge base → 404.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, KnowledgeBaseEmbedder>> EmbeddersAsync(IReadOnlyList<Guid> knowledgeBaseIds, string mode,
        double? minRelevance, CancellationToken ct)
    {
        if (!RunsVectorLeg(mode, minRelevance) || options.QueryEmbedding == QueryEmbeddingSources.Ingestion)
        {
            return new Dictionary<Guid, KnowledgeBaseEmbedder>();
        }
        var kbs = knowledgeBaseIds.Distinct().ToList();
        var embedders = await Task.WhenAll(kbs.Select(kb => ingestion.EmbedderAsync(kb, ct)));
        return kbs.Zip(embedders).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>A search with a Kernel of its own (embedding generators only).</summary>
    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(IReadOnlyList<Guid> knowledgeBaseIds, string query, int topK, string mode,
        RetrievalFilter? filter, RetrievalTuning? tuning, double? minRelevance, CancellationToken ct)
    {
        var embedders = await EmbeddersAsync(knowledgeBaseIds, mode, minRelevance, ct);
        var kernel = kernels.Create(chatModel: null, embedders.Values.Select(e => e.Model));
        return await SearchAsync(kernel, embedders, knowledgeBaseIds, query, topK, mode, filter, tuning, minRelevance, ct);
    }

    /// <summary>A search whose vector leg embeds the query with <paramref name="kernel"/>'s embedding generators (see <see cref="EmbeddersAsync"/>).</summary>
    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(Kernel kernel, IReadOnlyDictionary<Guid, KnowledgeBaseEmbedder> embedders,
        IReadOnlyList<Guid> knowledgeBaseIds, string query, int topK, string mode, RetrievalFilter? filter, RetrievalTuning? tuning,
        double? minRelevance, CancellationToken ct)
    {
        // Ingestion applies the filter inside each leg's query, so every candidate already matches it.
        var candidates = Math.Min(IngestionClient.MaxTopK, Math.Max(options.Candidates, topK));
        var kbs = knowledgeBaseIds.Distinct().ToList();
        var fuseVector = mode is RetrievalModes.Hybrid or RetrievalModes.Vector;
        var vectorK = minRelevance is null ? candidates : IngestionClient.MaxTopK;
        var textQuery = FullTextQuery.AnyWord(query);
        var text = mode is RetrievalModes.Hybrid or RetrievalModes.FullText
            ? kbs.Select(kb => ingestion.SearchAsync(kb, textQuery, candidates, "text", filter, ct)).ToList()
            : [];
        var vector = RunsVectorLeg(mode, minRelevance) ? VectorLegAsync(kernel, embedders, kbs, query, vectorK, filter, ct) : Task.FromResult(
            (IReadOnlyList<IReadOnlyList<RetrievedChunk>>)[]);
        await Task.WhenAll(text.Append<Task>(vector));
        var similarity = vector.Result;
        var fused = fuseVector ? similarity.Select(l => (IReadOnlyList<RetrievedChunk>)l.Take(candidates).ToList()).ToList() : [];
        var legs = new RetrievalLegs(fused, text.Select(t => t.Result).ToList(), similarity);
        var fusion = new FusionSettings(tuning?.Fusion ?? options.Fusion, tuning?.Alpha ?? options.Alpha, tuning?.RrfK ?? options.RrfK);
        return HybridRanking.Rank(legs, topK, fusion, tuning?.MmrLambda ?? options.MmrLambda, filter?.DocumentIds?.ToHashSet(), minRelevance);
    }

    /// <summary>The vector leg's list per knowledge base: the query embedded once per embedder, then every knowledge base searched with its vector.</summary>
    private async Task<IReadOnlyList<IReadOnlyList<RetrievedChunk>>> VectorLegAsync(Kernel kernel, IReadOnlyDictionary<Guid, KnowledgeBaseEmbedder> embedders,
        IReadOnlyList<Guid> kbs, string query, int k, RetrievalFilter? filter, CancellationToken ct)
    {
        var vectors = embedders.Count == 0
            ? new Dictionary<string, float[]>()
            : await embedder.EmbedAsync(kernel, query, embedders.Values, ct);
        // A knowledge base without a known embedder (QueryEmbedding = ingestion) is searched with the text, embedded by Ingestion.
        return await Task.WhenAll(kbs.Select(kb => ingestion.SearchAsync(kb, query, k, "vector", filter, ct,
            embedders.TryGetValue(kb, out var e) ? vectors[e.Model] : null)));
    }
}
