using System.Globalization;
using Npgsql;
using Pgvector;
using Platform.Data;

namespace Platform.Ingestion.Storage;

/// <summary>How a nearest-neighbour query is answered.</summary>
/// <param name="Exact">True: scan every candidate (ground truth); false: the HNSW index.</param>
/// <param name="EfSearch">HNSW candidate list size (hnsw.ef_search); larger is slower and more accurate.</param>
public sealed record VectorSearchOptions(bool Exact = false, int EfSearch = 100);

/// <summary>
/// Reads chunks back: nearest neighbours by cosine similarity (HNSW, with iterative scans so a
/// knowledge-base filter does not starve the result) and full-text matches (GIN over
/// <c>content_tsv</c>, ranked by BM25). Every method runs inside the caller's <see cref="TenantScope"/>, so row-level
/// security confines results to that tenant whatever ids are passed. Hybrid fusion belongs to the
/// caller (the RAG service).
/// </summary>
public static class ChunkSearch
{
    private const string ChunkColumns = "c.id, c.knowledge_base_id, c.document_id, c.ordinal, c.content, c.token_count, c.page_start, c.page_end, c.heading_path, c.char_start, c.char_end";

    /// <summary>The <paramref name="k"/> chunks of <paramref name="knowledgeBaseIds"/> closest to <paramref name="query"/> (unit length), best first.</summary>
    /// <remarks>
    /// A <paramref name="filter"/> is checked per index candidate; with <c>hnsw.iterative_scan</c> the
    /// index keeps scanning until <paramref name="k"/> candidates pass it (or <c>hnsw.max_scan_tuples</c>
    /// is reached), so a selective filter still returns k results when k matching chunks exist.
    /// </remarks>
    public static async Task<IReadOnlyList<ChunkHit>> NearestAsync(TenantScope scope, IReadOnlyList<Guid> knowledgeBaseIds, float[] query, int k,
        VectorSearchOptions? options = null, ChunkFilter? filter = null, CancellationToken ct = default)
    {
        await using var cmd = await NearestCommandAsync(scope, knowledgeBaseIds, query, k, options ?? new VectorSearchOptions(), filter, explain: false, ct);
        return await ReadHitsAsync(cmd, distanceToScore: true, ct);
    }

    /// <summary>The query plan of <see cref="NearestAsync"/> (EXPLAIN), to check that the HNSW index is used.</summary>
    public static async Task<string> ExplainNearestAsync(TenantScope scope, IReadOnlyList<Guid> knowledgeBaseIds, float[] query, int k,
        VectorSearchOptions? options = null, ChunkFilter? filter = null, CancellationToken ct = default)
    {
        await using var cmd = await NearestCommandAsync(scope, knowledgeBaseIds, query, k, options ?? new VectorSearchOptions(), filter, explain: true, ct);
        var lines = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            lines.Add(reader.GetString(0));
        }
        return string.Join('\n', lines);
    }

    private static async Task<NpgsqlCommand> NearestCommandAsync(TenantScope scope, IReadOnlyList<Guid> knowledgeBaseIds, float[] query, int k,
        VectorSearchOptions options, ChunkFilter? filter, bool explain, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Length, 2000);
        var d = query.Length.ToString(CultureInfo.InvariantCulture);
        // The HNSW index is on the expression embedding::vector(d); ordering by the bare column cannot use it, which is the exact scan.
        var distance = options.Exact ? "c.embedding <=> @q" : $"c.embedding::vector({d}) <=> @q::vector({d})";
        if (!options.Exact)
        {
            // pgvector's cost estimate grows with ef_search, and at ef_search 100 PostgreSQL prefers a
            // sequential scan + sort even at 100,000 chunks (measured: same latency as the exact scan).
            // Ruling out sequential scans keeps the choice between HNSW and the knowledge-base index.
            await using var settings = scope.CreateCommand(
                "SELECT set_config('hnsw.ef_search', @ef, true), set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('enable_seqscan', 'off', true)");
            settings.Parameters.AddWithValue("ef", options.EfSearch.ToString(CultureInfo.InvariantCulture));
            await settings.ExecuteNonQueryAsync(ct);
        }
        var cmd = scope.CreateCommand("");
        var filterSql = filter?.ToSql(cmd) ?? "";
        cmd.CommandText = $"""
            {(explain ? "EXPLAIN " : "")}WITH nearest AS (
                SELECT {ChunkColumns}, {distance} AS distance
                  FROM ingestion.chunks c
                 WHERE c.dimensions = {d} AND c.knowledge_base_id = ANY(@kbs){filterSql}
                 ORDER BY {distance}
                 LIMIT @k)
            SELECT c.*, d.file_name FROM nearest c JOIN ingestion.documents d ON d.id = c.document_id
             ORDER BY c.distance
            """;
        cmd.Parameters.AddWithValue("q", new Vector(query));
        cmd.Parameters.AddWithValue("kbs", knowledgeBaseIds.ToArray());
        cmd.Parameters.AddWithValue("k", k);
        return cmd;
    }

    /// <summary>
    /// Chunks matching a web-search-style query (quoted phrases, OR, -exclusions), ranked by Okapi BM25
    /// (<see cref="Bm25"/>) against each knowledge base's own corpus statistics.
    /// </summary>
    /// <remarks>
    /// The GIN index on <c>content_tsv</c> finds the candidates; each candidate's score sums, over the
    /// query's lexemes, IDF × saturated term frequency with length normalisation against the
    /// knowledge base's current average chunk length. Lexemes come from the same text search
    /// configuration as indexing, so a query word and a chunk word meet after the same stemming.
    /// </remarks>
    public static async Task<IReadOnlyList<ChunkHit>> FullTextAsync(TenantScope scope, IReadOnlyList<Guid> knowledgeBaseIds, string query, int k,
        ChunkFilter? filter = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        await using var cmd = scope.CreateCommand("");
        var filterSql = filter?.ToSql(cmd) ?? "";
        // setweight marks the query's lexemes and ts_filter keeps only them, so scoring touches the few
        // query terms of a candidate rather than unnesting all of its lexemes.
        cmd.CommandText = $"""
            WITH q AS (SELECT websearch_to_tsquery('{ChunkWriter.TextSearchConfig}', @query) AS query),
            qt AS (SELECT t.lexeme AS term, greatest(cardinality(t.positions), 1) AS qtf
                     FROM unnest(to_tsvector('{ChunkWriter.TextSearchConfig}', @query)) AS t),
            w AS (SELECT ts.knowledge_base_id, ts.term, qt.qtf,
                         ln(1 + (cs.chunk_count - ts.chunk_freq + 0.5)::float8 / (ts.chunk_freq + 0.5)) AS idf,
                         cs.total_terms::float8 / greatest(cs.chunk_count, 1) AS avg_len
                    FROM ingestion.term_stats ts
                    JOIN qt ON qt.term = ts.term
                    JOIN ingestion.corpus_stats cs ON cs.knowledge_base_id = ts.knowledge_base_id
                   WHERE ts.knowledge_base_id = ANY(@kbs)),
            terms AS (SELECT array_agg(DISTINCT term) AS list FROM w),
            matches AS (
                SELECT c.id,
                       coalesce((SELECT sum(w.qtf * w.idf * tf.n * (@k1 + 1) / (tf.n + @k1 * (1 - @b + @b * c.term_count / w.avg_len)))
                                   FROM (SELECT t.lexeme, greatest(cardinality(t.positions), 1) AS n
                                           FROM unnest(ts_filter(setweight(c.content_tsv, 'A', terms.list), ARRAY['a']::"char"[])) AS t) tf
                                   JOIN w ON w.knowledge_base_id = c.knowledge_base_id AND w.term = tf.lexeme), 0) AS rank
                  FROM ingestion.chunks c, q, terms
                 WHERE c.content_tsv @@ q.query AND c.knowledge_base_id = ANY(@kbs){filterSql}
                 ORDER BY rank DESC, c.id
                 LIMIT @k)
            SELECT {ChunkColumns}, m.rank, d.file_name
              FROM matches m
              JOIN ingestion.chunks c ON c.id = m.id
              JOIN ingestion.documents d ON d.id = c.document_id
             ORDER BY m.rank DESC, c.id
            """;
        cmd.Parameters.AddWithValue("query", query);
        cmd.Parameters.AddWithValue("kbs", knowledgeBaseIds.ToArray());
        cmd.Parameters.AddWithValue("k", k);
        cmd.Parameters.AddWithValue("k1", Bm25.K1);
        cmd.Parameters.AddWithValue("b", Bm25.B);
        return await ReadHitsAsync(cmd, distanceToScore: false, ct);
    }

    /// <summary>A document's chunks in order.</summary>
    public static async Task<IReadOnlyList<StoredChunk>> ListForDocumentAsync(TenantScope scope, Guid documentId, CancellationToken ct = default)
    {
        await using var cmd = scope.CreateCommand($"SELECT {ChunkColumns} FROM ingestion.chunks c WHERE c.document_id = @doc ORDER BY c.ordinal");
        cmd.Parameters.AddWithValue("doc", documentId);
        var list = new List<StoredChunk>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(ReadChunk(reader));
        }
        return list;
    }

    private static async Task<IReadOnlyList<ChunkHit>> ReadHitsAsync(NpgsqlCommand cmd, bool distanceToScore, CancellationToken ct)
    {
        var hits = new List<ChunkHit>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var value = Convert.ToDouble(reader.GetValue(11), CultureInfo.InvariantCulture);
            hits.Add(new ChunkHit(ReadChunk(reader), reader.GetString(12), distanceToScore ? 1 - value : value));
        }
        return hits;
    }

    private static StoredChunk ReadChunk(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetInt32(3), r.GetString(4), r.GetInt32(5),
        r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetInt32(7),
        r.GetFieldValue<string[]>(8), r.GetInt32(9), r.GetInt32(10));
}
