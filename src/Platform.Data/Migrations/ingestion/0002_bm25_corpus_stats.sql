-- BM25 for full-text search. Terms are the lexemes of content_tsv (to_tsvector('english'): Porter
-- stemming, stop words dropped), a chunk's length is its number of lexeme occurrences, and each
-- knowledge base keeps its corpus statistics: chunk count, total length (→ average length) and the
-- number of chunks holding each term (→ IDF). Statement-level triggers on ingestion.chunks keep the
-- statistics in the transaction that writes or deletes chunks, cascades from a document or a
-- knowledge base included, so search never sees chunks and statistics that disagree.

-- Lexeme occurrences of a tsvector (positions are capped at 256 per lexeme, far above a chunk's).
CREATE FUNCTION ingestion.tsvector_length(tsv tsvector) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT coalesce(sum(greatest(cardinality(t.positions), 1)), 0)::integer FROM unnest(tsv) AS t $$;

ALTER TABLE ingestion.chunks
    ADD COLUMN term_count integer GENERATED ALWAYS AS (ingestion.tsvector_length(content_tsv)) STORED;

CREATE TABLE ingestion.corpus_stats (
    knowledge_base_id  uuid PRIMARY KEY REFERENCES ingestion.knowledge_bases (id) ON DELETE CASCADE,
    tenant_id          uuid NOT NULL,
    chunk_count        bigint NOT NULL,
    total_terms        bigint NOT NULL
);

CREATE TABLE ingestion.term_stats (
    knowledge_base_id  uuid NOT NULL REFERENCES ingestion.knowledge_bases (id) ON DELETE CASCADE,
    tenant_id          uuid NOT NULL,
    term               text NOT NULL,
    chunk_freq         integer NOT NULL,
    PRIMARY KEY (knowledge_base_id, term)
);

-- Runs as the writer (platform_tenant under RLS): the rows it touches carry the chunks' own tenant.
-- The corpus_stats row is updated first, so it serialises writers of one knowledge base and their
-- term_stats updates cannot deadlock.
CREATE FUNCTION ingestion.chunks_maintain_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE ingestion.corpus_stats s
           SET chunk_count = s.chunk_count - d.n, total_terms = s.total_terms - d.len
          FROM (SELECT knowledge_base_id, count(*) AS n, coalesce(sum(term_count), 0) AS len
                  FROM old_chunks GROUP BY knowledge_base_id) d
         WHERE s.knowledge_base_id = d.knowledge_base_id;
        UPDATE ingestion.term_stats s
           SET chunk_freq = s.chunk_freq - d.n
          FROM (SELECT o.knowledge_base_id, t.lexeme AS term, count(*) AS n
                  FROM old_chunks o, unnest(o.content_tsv) AS t GROUP BY 1, 2) d
         WHERE s.knowledge_base_id = d.knowledge_base_id AND s.term = d.term;
        DELETE FROM ingestion.term_stats s
         USING (SELECT DISTINCT knowledge_base_id FROM old_chunks) d
         WHERE s.knowledge_base_id = d.knowledge_base_id AND s.chunk_freq <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ingestion.corpus_stats AS s (knowledge_base_id, tenant_id, chunk_count, total_terms)
        SELECT knowledge_base_id, tenant_id, count(*), coalesce(sum(term_count), 0)
          FROM new_chunks GROUP BY knowledge_base_id, tenant_id ORDER BY knowledge_base_id
        ON CONFLICT (knowledge_base_id) DO UPDATE
           SET chunk_count = s.chunk_count + EXCLUDED.chunk_count, total_terms = s.total_terms + EXCLUDED.total_terms;
        INSERT INTO ingestion.term_stats AS s (knowledge_base_id, tenant_id, term, chunk_freq)
        SELECT n.knowledge_base_id, n.tenant_id, t.lexeme, count(*)
          FROM new_chunks n, unnest(n.content_tsv) AS t GROUP BY 1, 2, 3 ORDER BY 1, 3
        ON CONFLICT (knowledge_base_id, term) DO UPDATE SET chunk_freq = s.chunk_freq + EXCLUDED.chunk_freq;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER chunks_stats_insert AFTER INSERT ON ingestion.chunks
    REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION ingestion.chunks_maintain_stats();
CREATE TRIGGER chunks_stats_delete AFTER DELETE ON ingestion.chunks
    REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT EXECUTE FUNCTION ingestion.chunks_maintain_stats();
CREATE TRIGGER chunks_stats_update AFTER UPDATE ON ingestion.chunks
    REFERENCING OLD TABLE AS old_chunks NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION ingestion.chunks_maintain_stats();

-- Chunks written before this migration.
INSERT INTO ingestion.corpus_stats (knowledge_base_id, tenant_id, chunk_count, total_terms)
SELECT knowledge_base_id, tenant_id, count(*), coalesce(sum(term_count), 0) FROM ingestion.chunks GROUP BY 1, 2;
INSERT INTO ingestion.term_stats (knowledge_base_id, tenant_id, term, chunk_freq)
SELECT c.knowledge_base_id, c.tenant_id, t.lexeme, count(*) FROM ingestion.chunks c, unnest(c.content_tsv) AS t GROUP BY 1, 2, 3;

ALTER TABLE ingestion.corpus_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingestion.term_stats ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON ingestion.corpus_stats
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON ingestion.term_stats
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON ingestion.corpus_stats, ingestion.term_stats TO platform_tenant;
