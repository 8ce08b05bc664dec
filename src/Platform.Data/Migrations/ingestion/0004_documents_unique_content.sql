-- One live document per content in a knowledge base. Uploads deduplicate by content hash; a
-- check-then-insert under READ COMMITTED let two concurrent identical uploads both insert, so the
-- database now decides: the insert is ON CONFLICT DO NOTHING against this partial unique index and
-- the loser returns the existing document. Failed documents (and uploads refused before they were
-- stored, whose hash is '') do not count, so the same content can be uploaded again after a failure.

-- Duplicates that slipped in before this index would stop it from being built: keep the oldest live
-- one and fail the others with a reason (their chunks go, so a search does not return the text twice).
WITH ranked AS (
    SELECT id, first_value(id) OVER w AS keep, row_number() OVER w AS n
      FROM ingestion.documents
     WHERE status <> 'failed'
    WINDOW w AS (PARTITION BY knowledge_base_id, content_hash ORDER BY created_at, id)
), dropped AS (
    UPDATE ingestion.documents d
       SET status = 'failed', chunk_count = 0, updated_at = now(),
           failure_reason = 'Duplicate of document ' || ranked.keep || ' (same content in this knowledge base).'
      FROM ranked
     WHERE d.id = ranked.id AND ranked.n > 1
 RETURNING d.id
), dead_jobs AS (
    UPDATE ingestion.jobs j SET status = 'dead', last_error = 'duplicate document', locked_by = NULL, locked_until = NULL, updated_at = now()
      FROM dropped WHERE j.document_id = dropped.id AND j.status IN ('queued', 'running')
)
DELETE FROM ingestion.chunks c USING dropped WHERE c.document_id = dropped.id;

CREATE UNIQUE INDEX documents_live_content_key ON ingestion.documents (knowledge_base_id, content_hash)
    WHERE status <> 'failed';
