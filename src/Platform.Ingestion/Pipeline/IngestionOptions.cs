using System.ComponentModel.DataAnnotations;
using Platform.Inference.Embeddings;
using Platform.Ingestion.Storage;

namespace Platform.Ingestion.Pipeline;

/// <summary>Settings of the ingestion service (configuration section "Ingestion").</summary>
public sealed class IngestionOptions
{
    /// <summary>Largest upload accepted, in bytes.</summary>
    [Range(1, 4L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Background workers in this process.</summary>
    [Range(0, 64)]
    public int Workers { get; set; } = 2;

    /// <summary>Attempts before a job is dead-lettered.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Delay before the first retry; each later retry doubles it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed job stays a worker's without renewal; a dead worker's job is taken again after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an idle worker polls the queue.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Texts per embedding call.</summary>
    [Range(1, 1024)]
    public int EmbeddingBatchSize { get; set; } = 32;

    /// <summary>Embedding model id for knowledge bases that do not name one.</summary>
    [Required]
    public string DefaultEmbeddingModel { get; set; } = LexicalEmbedder.DefaultId;

    [Range(16, 8192)]
    public int DefaultChunkTokens { get; set; } = 256;

    [Range(0, 8191)]
    public int DefaultChunkOverlap { get; set; } = 32;

    /// <summary>How chunk rows are bulk-written (Auto: batched INSERT; Copy: binary COPY, server PostgreSQL only, opt-in).</summary>
    public BulkWriteMode BulkWrite { get; set; } = BulkWriteMode.Auto;
}
