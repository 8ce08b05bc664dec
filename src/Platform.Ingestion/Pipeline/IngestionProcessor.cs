using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Data;
using Platform.Ingestion.Chunking;
using Platform.Ingestion.Embeddings;
using Platform.Ingestion.Parsing;
using Platform.Ingestion.Storage;

namespace Platform.Ingestion.Pipeline;

/// <summary>
/// Runs one claimed job: parse → chunk → embed (outside any transaction) → swap the document's
/// chunks in one tenant transaction that also completes the job, so a worker that dies at any point
/// leaves the old chunks or the new ones, never a mix. Bad input fails the document at once with its
/// reason; other errors retry with exponential backoff until the job is dead-lettered.
/// </summary>
public sealed class IngestionProcessor(
    NpgsqlDataSource dataSource,
    JobQueue queue,
    DocumentFiles files,
    DocumentParsers parsers,
    EmbeddingModelCatalog models,
    ChunkWriter writer,
    IngestionEvents events,
    IngestionOptions options,
    TimeProvider clock,
    ILogger<IngestionProcessor> logger)
{
    public async Task ProcessAsync(ClaimedJob job, CancellationToken ct)
    {
        using var _ = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id, ["DocumentId"] = job.DocumentId, ["TenantId"] = job.TenantId });
        DocumentRecord? document;
        KnowledgeBase? kb;
        await using (var scope = await TenantScope.BeginAsync(dataSource, job.TenantId, ct))
        {
            document = await DocumentStore.GetAsync(scope, job.DocumentId, ct);
            kb = document is null ? null : await KnowledgeBaseStore.GetAsync(scope, document.KnowledgeBaseId, ct);
            if (document is null || kb is null)
            {
                return; // deleted meanwhile; its job went with it
            }
            await DocumentStore.SetStatusAsync(scope, job.DocumentId, DocumentStatus.Processing, null, ct);
            await scope.CommitAsync(ct);
        }
        await events.PublishAsync(job.TenantId, new IngestionEvent("document.status", kb.Id, document.Id, DocumentStatus.Processing, "parsing"));
        try
        {
            var (chunked, vectors, pages) = await BuildAsync(job, document, kb, ct);
            await using var scope = await TenantScope.BeginAsync(dataSource, job.TenantId, ct);
            if (!await JobQueue.CompleteAsync(scope, job, "succeeded", null, ct))
            {
                logger.LogWarning("Lost the lease on job {JobId} before committing; another worker owns it now", job.Id);
                return;
            }
            await writer.ReplaceAsync(scope, kb.Id, document.Id, chunked.Chunks, vectors, ct);
            await using (var ready = scope.CreateCommand(
                "UPDATE ingestion.documents SET status = 'ready', failure_reason = NULL, chunk_count = @n, page_count = @pages, updated_at = now() WHERE id = @id"))
            {
                ready.Parameters.AddWithValue("id", document.Id);
                ready.Parameters.AddWithValue("n", chunked.Chunks.Count);
                ready.Parameters.AddWithValue("pages", (object?)pages ?? DBNull.Value);
                await ready.ExecuteNonQueryAsync(ct);
            }
            await scope.CommitAsync(ct);
            logger.LogInformation("Ingested document {DocumentId}: {ChunkCount} chunks", document.Id, chunked.Chunks.Count);
            await events.PublishAsync(job.TenantId, new IngestionEvent("document.status", kb.Id, document.Id, DocumentStatus.Ready, "done",
                chunked.Chunks.Count, chunked.Chunks.Count));
        }
        catch (DocumentRejectedException e)
        {
            await FailAsync(job, kb.Id, e.Message, permanent: true, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Attempt {Attempt} of job {JobId} failed", job.Attempt, job.Id);
            await FailAsync(job, kb.Id, e.Message, permanent: false, ct);
        }
    }

    private async Task<(ChunkedDocument Chunked, IReadOnlyList<float[]> Vectors, int? Pages)> BuildAsync(
        ClaimedJob job, DocumentRecord document, KnowledgeBase kb, CancellationToken ct)
    {
        var model = models.Find(kb.EmbeddingModel)
            ?? throw new InvalidOperationException($"The embedding model '{kb.EmbeddingModel}' this knowledge base was built with is not available on this server.");
        var path = files.PathOf(job.TenantId, kb.Id, document.Id);
        if (!File.Exists(path))
        {
            throw new DocumentRejectedException("The uploaded file is no longer in storage; upload it again.");
        }
        var content = await File.ReadAllBytesAsync(path, ct);
        var parsed = parsers.Parse(document.FileName, content, ParseLimits.Default);
        var chunked = new StructuredChunker(model.CountTokens).Chunk(parsed, new ChunkingOptions(kb.ChunkTokens, kb.ChunkOverlap));
        await events.PublishAsync(job.TenantId, new IngestionEvent("document.status", kb.Id, document.Id, DocumentStatus.Processing, "embedding", 0, chunked.Chunks.Count));
        var vectors = new List<float[]>(chunked.Chunks.Count);
        for (var start = 0; start < chunked.Chunks.Count; start += options.EmbeddingBatchSize)
        {
            var batch = chunked.Chunks.Skip(start).Take(options.EmbeddingBatchSize).Select(c => c.Content).ToList();
            vectors.AddRange(await Task.Run(() => model.Embed(batch, ct), ct));
            if (!await queue.RenewAsync(job, options.Lease, ct))
            {
                throw new OperationCanceledException("The job's lease was lost.");
            }
            await events.PublishAsync(job.TenantId, new IngestionEvent("document.status", kb.Id, document.Id, DocumentStatus.Processing, "embedding",
                vectors.Count, chunked.Chunks.Count));
        }
        if (vectors.Any(v => v.Length != kb.EmbeddingDimensions))
        {
            throw new InvalidOperationException($"The model returned vectors of another dimension than the knowledge base's {kb.EmbeddingDimensions}.");
        }
        return (chunked, vectors, parsed.PageCount);
    }

    private async Task FailAsync(ClaimedJob job, Guid kbId, string reason, bool permanent, CancellationToken ct)
    {
        var dead = permanent || job.Attempt >= job.MaxAttempts;
        var documentReason = permanent ? reason : $"Ingestion failed after {job.Attempt} attempt(s): {reason}";
        await using var scope = await TenantScope.BeginAsync(dataSource, job.TenantId, ct);
        var owned = dead
            ? await JobQueue.CompleteAsync(scope, job, "dead", reason, ct)
            : await JobQueue.RetryLaterAsync(scope, job, clock.GetUtcNow() + RetryDelay(job.Attempt), reason, ct);
        if (!owned)
        {
            return;
        }
        // Old chunks (from an earlier successful run) are removed with the failure, so nothing of a
        // document that now fails stays searchable.
        if (dead)
        {
            await using var clear = scope.CreateCommand("DELETE FROM ingestion.chunks WHERE document_id = @id; UPDATE ingestion.documents SET chunk_count = 0 WHERE id = @id");
            clear.Parameters.AddWithValue("id", job.DocumentId);
            await clear.ExecuteNonQueryAsync(ct);
        }
        await DocumentStore.SetStatusAsync(scope, job.DocumentId, dead ? DocumentStatus.Failed : DocumentStatus.Queued,
            dead ? documentReason : $"Attempt {job.Attempt} failed ({reason}); retrying.", ct);
        await scope.CommitAsync(ct);
        logger.LogInformation("Job {JobId} {Outcome}: {Reason}", job.Id, dead ? "dead-lettered" : "will retry", reason);
        await events.PublishAsync(job.TenantId, new IngestionEvent("document.status", kbId, job.DocumentId,
            dead ? DocumentStatus.Failed : DocumentStatus.Queued, dead ? "failed" : "retrying", Reason: dead ? documentReason : reason));
    }

    /// <summary>Backoff before attempt n+1: base × 2^(n-1), at most one hour.</summary>
    public TimeSpan RetryDelay(int attempt) =>
        TimeSpan.FromTicks(Math.Min(TimeSpan.FromHours(1).Ticks, options.RetryBaseDelay.Ticks * (1L << Math.Min(attempt - 1, 20))));
}
