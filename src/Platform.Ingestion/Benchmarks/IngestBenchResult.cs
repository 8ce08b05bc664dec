using System.Text.Json.Serialization;

namespace Platform.Ingestion.Benchmarks;

/// <summary>What <c>./platform ingest-bench --json</c> prints.</summary>
public sealed record IngestBenchResult(
    [property: JsonPropertyName("database")] string Database,
    [property: JsonPropertyName("embedder")] string Embedder,
    [property: JsonPropertyName("dimensions")] int Dimensions,
    [property: JsonPropertyName("documents")] int Documents,
    [property: JsonPropertyName("chunks")] int Chunks,
    [property: JsonPropertyName("chunks_per_second")] double ChunksPerSecond,
    [property: JsonPropertyName("bert_model")] string? BertModel,
    [property: JsonPropertyName("bert_chunks")] int? BertChunks,
    [property: JsonPropertyName("bert_chunks_per_second")] double? BertChunksPerSecond,
    [property: JsonPropertyName("index_chunks")] int IndexChunks,
    [property: JsonPropertyName("hnsw_build_seconds")] double HnswBuildSeconds,
    [property: JsonPropertyName("queries")] int Queries,
    [property: JsonPropertyName("ef_search")] int EfSearch,
    [property: JsonPropertyName("query_p50_ms")] double QueryP50Ms,
    [property: JsonPropertyName("query_p99_ms")] double QueryP99Ms,
    [property: JsonPropertyName("exact_p50_ms")] double ExactP50Ms,
    [property: JsonPropertyName("exact_p99_ms")] double ExactP99Ms,
    [property: JsonPropertyName("hnsw_speedup_p50")] double HnswSpeedupP50,
    [property: JsonPropertyName("hnsw_recall_at_10")] double HnswRecallAt10,
    [property: JsonPropertyName("hnsw_recall_at_10_by_id")] double HnswRecallAt10ById,
    [property: JsonPropertyName("hnsw_index_used")] bool HnswIndexUsed)
{
    /// <summary>The same queries at other ef_search values (`--ef-sweep`), on the same index.</summary>
    [JsonPropertyName("ef_sweep")] public IReadOnlyList<EfSweepPoint> EfSweep { get; init; } = [];
}

/// <summary>HNSW latency and k-NN recall@10 at one ef_search.</summary>
public sealed record EfSweepPoint(
    [property: JsonPropertyName("ef_search")] int EfSearch,
    [property: JsonPropertyName("query_p50_ms")] double QueryP50Ms,
    [property: JsonPropertyName("query_p99_ms")] double QueryP99Ms,
    [property: JsonPropertyName("hnsw_recall_at_10")] double RecallAt10);
