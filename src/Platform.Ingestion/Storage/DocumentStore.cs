using Npgsql;
using Platform.Data;
using Platform.Ingestion.Pipeline;

namespace Platform.Ingestion.Storage;

/// <summary>Documents of a knowledge base, inside a <see cref="TenantScope"/>.</summary>
public sealed class DocumentStore(NpgsqlDataSource dataSource)
{
    private const string Select = """
        SELECT id, knowledge_base_id, file_name, content_type, size_bytes, content_hash, status, failure_reason, chunk_count, page_count, created_at, updated_at, tags, document_date
        FROM ingestion.documents
        """;

    /// <summary>The outcome of registering an upload.</summary>
    /// <param name="Document">The new document, or the existing one with the same content.</param>
    /// <param name="Created">False when identical content was already in the knowledge base.</param>
    public sealed record AddResult(DocumentRecord Document, bool Created);

    /// <summary>
    /// Registers an uploaded file and queues its ingestion job in one transaction. Content already in
    /// the knowledge base (same SHA-256, not failed) is not added twice: the existing document is returned.
    /// Null when the knowledge base is not the tenant's. <paramref name="metadata"/> (already validated)
    /// applies to a new document only; a duplicate keeps its own (change it with <see cref="UpdateMetadataAsync"/>).
    /// </summary>
    public async Task<AddResult?> AddAsync(Guid tenantId, Guid knowledgeBaseId, Guid documentId, string fileName, string? contentType,
        long size, string contentHash, int maxAttempts, DocumentMetadata metadata, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        if (await KnowledgeBaseStore.GetAsync(scope, knowledgeBaseId, ct) is null)
        {
            return null;
        }
        // No check-then-insert: the partial unique index documents_live_content_key decides between
        // concurrent identical uploads. The loser's insert does nothing (after waiting for the winner
        // to commit) and it returns the winner's document, which READ COMMITTED lets the next statement
        // see. Should that document fail in between, the slot is free again, hence the loop.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var inserted = await InsertQueuedAsync(scope, tenantId, knowledgeBaseId, documentId, fileName, contentType, size, contentHash, metadata, ct);
            if (inserted is null)
            {
                return null;
            }
            if (inserted.Value)
            {
                await JobQueue.EnqueueAsync(scope, documentId, maxAttempts, ct);
                var document = await GetAsync(scope, documentId, ct);
                await scope.CommitAsync(ct);
                return new AddResult(document!, true);
            }
            if (await FindLiveAsync(scope, knowledgeBaseId, contentHash, ct) is { } duplicate)
            {
                return new AddResult(duplicate, false);
            }
        }
        throw new InvalidOperationException($"Could not register the upload with content {contentHash}: the same content kept appearing and disappearing.");
    }

    /// <summary>The oldest document of the knowledge base with this content that has not failed, if any.</summary>
    public static async Task<DocumentRecord?> FindLiveAsync(TenantScope scope, Guid knowledgeBaseId, string contentHash, CancellationToken ct)
    {
        await using var existing = scope.CreateCommand(Select + " WHERE knowledge_base_id = @kb AND content_hash = @hash AND status <> 'failed' ORDER BY created_at LIMIT 1");
        existing.Parameters.AddWithValue("kb", knowledgeBaseId);
        existing.Parameters.AddWithValue("hash", contentHash);
        return (await ReadAllAsync(existing, ct)).FirstOrDefault();
    }

    /// <summary>
    /// Inserts a queued document; false when a live document with the same content already exists, null
    /// when the knowledge base is gone (the transaction is then aborted).
    /// </summary>
    private static async Task<bool?> InsertQueuedAsync(TenantScope scope, Guid tenantId, Guid knowledgeBaseId, Guid documentId, string fileName,
        string? contentType, long size, string contentHash, DocumentMetadata metadata, CancellationToken ct)
    {
        await using var insert = scope.CreateCommand("""
            INSERT INTO ingestion.documents (id, tenant_id, knowledge_base_id, file_name, content_type, size_bytes, content_hash, status, tags, document_date)
            VALUES (@id, @tenant, @kb, @name, @type, @size, @hash, 'queued', @tags, @date)
            ON CONFLICT (knowledge_base_id, content_hash) WHERE status <> 'failed' DO NOTHING
            """);
        insert.Parameters.Add(new NpgsqlParameter("tags", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = metadata.Tags.ToArray() });
        insert.Parameters.Add(new NpgsqlParameter("date", NpgsqlTypes.NpgsqlDbType.Date) { Value = metadata.Date is { } date ? date : DBNull.Value });
        insert.Parameters.AddWithValue("id", documentId);
        insert.Parameters.AddWithValue("tenant", tenantId);
        insert.Parameters.AddWithValue("kb", knowledgeBaseId);
        insert.Parameters.AddWithValue("name", fileName);
        insert.Parameters.AddWithValue("type", (object?)contentType ?? DBNull.Value);
        insert.Parameters.AddWithValue("size", size);
        insert.Parameters.AddWithValue("hash", contentHash);
        try
        {
            return await insert.ExecuteNonQueryAsync(ct) == 1;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return null; // the knowledge base was deleted after it was read
        }
    }

    /// <summary>Records an upload refused before it was stored (over the size limit), so the tenant sees why.</summary>
    public async Task<DocumentRecord?> AddFailedAsync(Guid tenantId, Guid knowledgeBaseId, string fileName, string? contentType, long size,
        string reason, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        if (await KnowledgeBaseStore.GetAsync(scope, knowledgeBaseId, ct) is null)
        {
            return null;
        }
        var id = Guid.CreateVersion7();
        await using (var insert = scope.CreateCommand("""
            INSERT INTO ingestion.documents (id, tenant_id, knowledge_base_id, file_name, content_type, size_bytes, content_hash, status, failure_reason)
            VALUES (@id, @tenant, @kb, @name, @type, @size, '', 'failed', @reason)
            """))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", tenantId);
            insert.Parameters.AddWithValue("kb", knowledgeBaseId);
            insert.Parameters.AddWithValue("name", fileName);
            insert.Parameters.AddWithValue("type", (object?)contentType ?? DBNull.Value);
            insert.Parameters.AddWithValue("size", size);
            insert.Parameters.AddWithValue("reason", reason);
            await insert.ExecuteNonQueryAsync(ct);
        }
        var document = await GetAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return document;
    }

    public async Task<IReadOnlyList<DocumentRecord>?> ListAsync(Guid tenantId, Guid knowledgeBaseId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        if (await KnowledgeBaseStore.GetAsync(scope, knowledgeBaseId, ct) is null)
        {
            return null;
        }
        await using var cmd = scope.CreateCommand(Select + " WHERE knowledge_base_id = @kb ORDER BY created_at, id");
        cmd.Parameters.AddWithValue("kb", knowledgeBaseId);
        return await ReadAllAsync(cmd, ct);
    }

    public async Task<DocumentRecord?> GetAsync(Guid tenantId, Guid knowledgeBaseId, Guid documentId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        var document = await GetAsync(scope, documentId, ct);
        return document?.KnowledgeBaseId == knowledgeBaseId ? document : null;
    }

    public static async Task<DocumentRecord?> GetAsync(TenantScope scope, Guid documentId, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand(Select + " WHERE id = @id");
        cmd.Parameters.AddWithValue("id", documentId);
        return (await ReadAllAsync(cmd, ct)).SingleOrDefault();
    }

    /// <summary>
    /// Replaces the document's tags and/or date (a null argument leaves that part unchanged; <paramref name="clearDate"/>
    /// removes the date). Null when the document is not in the tenant's knowledge base.
    /// </summary>
    public async Task<DocumentRecord?> UpdateMetadataAsync(Guid tenantId, Guid knowledgeBaseId, Guid documentId, IReadOnlyList<string>? tags,
        DateOnly? date, bool clearDate, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        await using (var update = scope.CreateCommand("""
            UPDATE ingestion.documents
               SET tags = coalesce(@tags, tags),
                   document_date = CASE WHEN @clear THEN NULL ELSE coalesce(@date, document_date) END,
                   updated_at = now()
             WHERE id = @id AND knowledge_base_id = @kb
            """))
        {
            update.Parameters.AddWithValue("id", documentId);
            update.Parameters.AddWithValue("kb", knowledgeBaseId);
            update.Parameters.Add(new NpgsqlParameter("tags", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)tags?.ToArray() ?? DBNull.Value });
            update.Parameters.Add(new NpgsqlParameter("date", NpgsqlTypes.NpgsqlDbType.Date) { Value = date is { } d ? d : DBNull.Value });
            update.Parameters.AddWithValue("clear", clearDate);
            if (await update.ExecuteNonQueryAsync(ct) != 1)
            {
                return null;
            }
        }
        var document = await GetAsync(scope, documentId, ct);
        await scope.CommitAsync(ct);
        return document;
    }

    /// <summary>Deletes the document; its chunks and jobs go with it (one statement, cascading). False when not found.</summary>
    public async Task<bool> DeleteAsync(Guid tenantId, Guid knowledgeBaseId, Guid documentId, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        await using var cmd = scope.CreateCommand("DELETE FROM ingestion.documents WHERE id = @id AND knowledge_base_id = @kb");
        cmd.Parameters.AddWithValue("id", documentId);
        cmd.Parameters.AddWithValue("kb", knowledgeBaseId);
        var deleted = await cmd.ExecuteNonQueryAsync(ct) == 1;
        await scope.CommitAsync(ct);
        return deleted;
    }

    /// <summary>
    /// Queues the document for ingestion again (after a failure, or to rebuild its chunks). Its current
    /// chunks stay searchable until the new ones replace them. Null when not found; the document
    /// unchanged when a job for it is already pending, or when it failed and another document of the
    /// knowledge base now holds the same content (it stays failed).
    /// </summary>
    public async Task<DocumentRecord?> ReingestAsync(Guid tenantId, Guid knowledgeBaseId, Guid documentId, int maxAttempts, CancellationToken ct)
    {
        await using var scope = await TenantScope.BeginAsync(dataSource, tenantId, ct);
        var document = await GetAsync(scope, documentId, ct);
        if (document is null || document.KnowledgeBaseId != knowledgeBaseId)
        {
            return null;
        }
        if (document.ContentHash.Length == 0)
        {
            return document; // refused at upload: nothing was stored to ingest again
        }
        if (document.Status == DocumentStatus.Failed && await FindLiveAsync(scope, knowledgeBaseId, document.ContentHash, ct) is not null)
        {
            return document; // the same content is live in another document; the unique index allows one
        }
        if (!await JobQueue.HasPendingAsync(scope, documentId, ct))
        {
            await using (var update = scope.CreateCommand(
                "UPDATE ingestion.documents SET status = 'queued', failure_reason = NULL, updated_at = now() WHERE id = @id"))
            {
                update.Parameters.AddWithValue("id", documentId);
                await update.ExecuteNonQueryAsync(ct);
            }
            await JobQueue.EnqueueAsync(scope, documentId, maxAttempts, ct);
        }
        document = await GetAsync(scope, documentId, ct);
        await scope.CommitAsync(ct);
        return document;
    }

    /// <summary>Sets status (and reason) inside an existing scope.</summary>
    public static async Task SetStatusAsync(TenantScope scope, Guid documentId, string status, string? reason, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand(
            "UPDATE ingestion.documents SET status = @status, failure_reason = @reason, updated_at = now() WHERE id = @id");
        cmd.Parameters.AddWithValue("id", documentId);
        cmd.Parameters.AddWithValue("status", status);
        cmd.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<IReadOnlyList<DocumentRecord>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<DocumentRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new DocumentRecord(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt64(4), reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetInt32(9),
                new DateTimeOffset(reader.GetDateTime(10), TimeSpan.Zero), new DateTimeOffset(reader.GetDateTime(11), TimeSpan.Zero),
                reader.GetFieldValue<string[]>(12), reader.IsDBNull(13) ? null : reader.GetFieldValue<DateOnly>(13)));
        }
        return list;
    }
}
