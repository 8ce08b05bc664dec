using System.ComponentModel.DataAnnotations;
using Platform.Rag;

namespace Platform.Services.Rag;

/// <summary>Rag:* settings.</summary>
public sealed class RagOptions
{
    /// <summary>Chunks returned by /v1/rag/search and put in a chat prompt when the request gives no top_k.</summary>
    [Range(1, 100)]
    public int DefaultTopK { get; set; } = 5;

    /// <summary>Candidates fetched from each retriever before fusion (Ingestion caps a call at 100).</summary>
    [Range(1, 100)]
    public int Candidates { get; set; } = 50;

    /// <summary>How hybrid search combines its legs: relative_score (default) or rrf.</summary>
    [Required]
    [RegularExpression("^(relative_score|rrf)$")]
    public string Fusion { get; set; } = FusionSettings.RelativeScore;

    /// <summary>
    /// Weight of the vector leg in hybrid fusion (full-text gets 1 − α). 0.1 suits the built-in lexical
    /// embedder, an IDF-less copy of BM25 (chosen on SciFact's train split, docs/rag.md); raise it for a semantic encoder.
    /// </summary>
    [Range(0.0, 1.0)]
    public double Alpha { get; set; } = 0.1;

    /// <summary>The k of reciprocal rank fusion (when Fusion is rrf).</summary>
    [Range(0, 1000)]
    public int RrfK { get; set; } = 60;

    /// <summary>MMR trade-off: 1 keeps the fused order and only drops near-duplicates; lower favours novelty.</summary>
    [Range(0.0, 1.0)]
    public double MmrLambda { get; set; } = 1.0;

    /// <summary>
    /// Who embeds the query for the vector leg: <c>inference</c> (default: the Kernel's embedding generator, i.e. the Inference
    /// service's /v1/embeddings, with the knowledge base's embedder) or <c>ingestion</c> (the query text is sent and Ingestion
    /// embeds it in process; for a deployment or tool that runs no Inference service).
    /// </summary>
    [Required]
    [RegularExpression("^(inference|ingestion)$")]
    public string QueryEmbedding { get; set; } = QueryEmbeddingSources.Inference;

    /// <summary>Model used when a chat request names none; empty means the first model Inference lists.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>Answer tokens reserved when a chat request gives no max_tokens (capped at a quarter of the context).</summary>
    [Range(16, 32768)]
    public int DefaultMaxTokens { get; set; } = 512;

    /// <summary>History messages kept per session (oldest dropped first from the prompt by the token budget anyway).</summary>
    [Range(2, 1000)]
    public int MaxSessionMessages { get; set; } = 50;

    /// <summary>Connecting to Ingestion or Inference gives up after this.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A search on Ingestion or the model list of Inference gives up after this (503).</summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Generating one answer (streamed or not) gives up after this (503, or an error event once streaming).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(120);
}

/// <summary>Values of <see cref="RagOptions.QueryEmbedding"/>.</summary>
public static class QueryEmbeddingSources
{
    public const string Inference = "inference";
    public const string Ingestion = "ingestion";
}
