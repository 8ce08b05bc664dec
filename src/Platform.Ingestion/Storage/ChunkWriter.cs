using Npgsql;
using NpgsqlTypes;
using Pgvector;
using Platform.Data;
using Platform.Ingestion.Chunking;

namespace Platform.Ingestion.Storage;

/// <summary>How chunk rows are bulk-written.</summary>
public enum BulkWriteMode
{
    /// <summary>
    /// The default: batched INSERT … unnest everywhere. The binary COPY path has not been run under test
    /// (the tests use PGlite, whose wire server has no COPY FROM STDIN), so it is only taken when asked for.
    /// </summary>
    Auto,

    /// <summary>
    /// Binary COPY into a transaction-local staging table, then one INSERT … SELECT under row-level security.
    /// Server PostgreSQL only (PGlite's wire server breaks the connection on COPY FROM STDIN); not yet verified by the test suite.
    /// </summary>
    Copy,

    /// <summary>Batched INSERT … SELECT FROM unnest(arrays).</summary>
    Insert,
}

/// <summary>
/// Replaces a document's chunks inside the caller's tenant transaction, so readers see the old set
/// or the new one, never a mix. PostgreSQL refuses COPY FROM into a table with row-level security,
/// so COPY targets a temporary staging table and one INSERT … SELECT moves the rows, checked by the
/// tenant policy.
/// </summary>
public sealed class ChunkWriter(BulkWriteMode mode = BulkWriteMode.Auto)
{
    private const int InsertBatch = 200;

    /// <summary>The text search configuration for <c>content_tsv</c>; queries must use the same.</summary>
    public const string TextSearchConfig = "english";

    public async Task ReplaceAsync(TenantScope scope, Guid knowledgeBaseId, Guid documentId, IReadOnlyList<Chunk> chunks,
        IReadOnlyList<float[]> embeddings, CancellationToken ct)
    {
        if (chunks.Count != embeddings.Count)
        {
            throw new ArgumentException("One embedding per chunk is required.", nameof(embeddings));
        }
        await using (var delete = scope.CreateCommand("DELETE FROM ingestion.chunks WHERE document_id = @doc"))
        {
            delete.Parameters.AddWithValue("doc", documentId);
            await delete.ExecuteNonQueryAsync(ct);
        }
        if (chunks.Count == 0)
        {
            return;
        }
        if (mode == BulkWriteMode.Copy)
        {
            await CopyAsync(scope, knowledgeBaseId, documentId, chunks, embeddings, ct);
        }
        else
        {
            for (var start = 0; start < chunks.Count; start += InsertBatch)
            {
                var count = Math.Min(InsertBatch, chunks.Count - start);
                await InsertAsync(scope, knowledgeBaseId, documentId, chunks.Skip(start).Take(count).ToList(), embeddings.Skip(start).Take(count).ToList(), ct);
            }
        }
    }

    private static async Task InsertAsync(TenantScope scope, Guid kb, Guid doc, IReadOnlyList<Chunk> chunks, IReadOnlyList<float[]> embeddings, CancellationToken ct)
    {
        await using var cmd = scope.CreateCommand($"""
            INSERT INTO ingestion.chunks (id, tenant_id, knowledge_base_id, document_id, ordinal, content, token_count, page_start, page_end,
                                          heading_path, char_start, char_end, dimensions, embedding, content_tsv)
            SELECT u.id, @tenant, @kb, @doc, u.ordinal, u.content, u.tokens, u.page_start, u.page_end,
                   ARRAY(SELECT jsonb_array_elements_text(u.path)), u.char_start, u.char_end, @dims, u.embedding,
                   to_tsvector('{TextSearchConfig}', u.content)
              FROM unnest(@ids, @ordinals, @contents, @tokens, @page_starts, @page_ends, @paths, @char_starts, @char_ends, @embeddings)
                AS u(id, ordinal, content, tokens, page_start, page_end, path, char_start, char_end, embedding)
            """);
        cmd.Parameters.AddWithValue("tenant", scope.TenantId);
        cmd.Parameters.AddWithValue("kb", kb);
        cmd.Parameters.AddWithValue("doc", doc);
        cmd.Parameters.AddWithValue("dims", embeddings[0].Length);
        cmd.Parameters.AddWithValue("ids", chunks.Select(_ => Guid.CreateVersion7()).ToArray());
        cmd.Parameters.AddWithValue("ordinals", chunks.Select(c => c.Ordinal).ToArray());
        cmd.Parameters.AddWithValue("contents", chunks.Select(c => c.Content).ToArray());
        cmd.Parameters.AddWithValue("tokens", chunks.Select(c => c.TokenCount).ToArray());
        cmd.Parameters.Add(new NpgsqlParameter("page_starts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = chunks.Select(c => (object?)c.PageStart ?? DBNull.Value).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("page_ends", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = chunks.Select(c => (object?)c.PageEnd ?? DBNull.Value).ToArray() });
        // text[][] must be rectangular, so each heading path travels as one jsonb array.
        cmd.Parameters.Add(new NpgsqlParameter("paths", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
        {
            Value = chunks.Select(c => System.Text.Json.JsonSerializer.Serialize(c.HeadingPath)).ToArray(),
        });
        cmd.Parameters.AddWithValue("char_starts", chunks.Select(c => c.CharStart).ToArray());
        cmd.Parameters.AddWithValue("char_ends", chunks.Select(c => c.CharEnd).ToArray());
        cmd.Parameters.AddWithValue("embeddings", embeddings.Select(e => new Vector(e)).ToArray());
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task CopyAsync(TenantScope scope, Guid kb, Guid doc, IReadOnlyList<Chunk> chunks, IReadOnlyList<float[]> embeddings, CancellationToken ct)
    {
        await using (var create = scope.CreateCommand("""
            CREATE TEMP TABLE IF NOT EXISTS chunk_staging (
                id uuid, ordinal integer, content text, token_count integer, page_start integer, page_end integer,
                heading_path text[], char_start integer, char_end integer, embedding vector) ON COMMIT DELETE ROWS
            """))
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        await using (var importer = await scope.Connection.BeginBinaryImportAsync(
            "COPY chunk_staging (id, ordinal, content, token_count, page_start, page_end, heading_path, char_start, char_end, embedding) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                var c = chunks[i];
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct);
                await importer.WriteAsync(c.Ordinal, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(c.Content, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(c.TokenCount, NpgsqlDbType.Integer, ct);
                await WriteNullableAsync(importer, c.PageStart, ct);
                await WriteNullableAsync(importer, c.PageEnd, ct);
                await importer.WriteAsync(c.HeadingPath.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await importer.WriteAsync(c.CharStart, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(c.CharEnd, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(new Vector(embeddings[i]), ct);
            }
            await importer.CompleteAsync(ct);
        }
        await using var move = scope.CreateCommand($"""
            INSERT INTO ingestion.chunks (id, tenant_id, knowledge_base_id, document_id, ordinal, content, token_count, page_start, page_end,
                                          heading_path, char_start, char_end, dimensions, embedding, content_tsv)
            SELECT id, @tenant, @kb, @doc, ordinal, content, token_count, page_start, page_end, heading_path, char_start, char_end,
                   @dims, embedding, to_tsvector('{TextSearchConfig}', content)
              FROM chunk_staging
            """);
        move.Parameters.AddWithValue("tenant", scope.TenantId);
        move.Parameters.AddWithValue("kb", kb);
        move.Parameters.AddWithValue("doc", doc);
        move.Parameters.AddWithValue("dims", embeddings[0].Length);
        await move.ExecuteNonQueryAsync(ct);
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, int? value, CancellationToken ct) =>
        value is { } v ? importer.WriteAsync(v, NpgsqlDbType.Integer, ct) : importer.WriteNullAsync(ct);
}
