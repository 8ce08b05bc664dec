-- Knowledge bases, their documents, the chunks (vector + full text) made from them, and the
-- durable job queue that turns one into the other.
CREATE TABLE ingestion.knowledge_bases (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description           text,
    embedding_model       text NOT NULL,
    embedding_dimensions  integer NOT NULL CHECK (embedding_dimensions BETWEEN 1 AND 2000),
    chunk_tokens          integer NOT NULL CHECK (chunk_tokens BETWEEN 16 AND 8192),
    chunk_overlap         integer NOT NULL CHECK (chunk_overlap >= 0 AND chunk_overlap < chunk_tokens),
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX knowledge_bases_name_key ON ingestion.knowledge_bases (tenant_id, lower(name));

CREATE TABLE ingestion.documents (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    knowledge_base_id  uuid NOT NULL REFERENCES ingestion.knowledge_bases (id) ON DELETE CASCADE,
    file_name          text NOT NULL,
    content_type       text,
    size_bytes         bigint NOT NULL,
    content_hash       text NOT NULL,
    status             text NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    failure_reason     text,
    chunk_count        integer NOT NULL DEFAULT 0,
    page_count         integer,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_kb ON ingestion.documents (knowledge_base_id, created_at);
CREATE INDEX documents_hash ON ingestion.documents (knowledge_base_id, content_hash);

-- embedding has no fixed dimension (each knowledge base records its own); HNSW needs one, so each
-- dimension gets a partial expression index, e.g. ((embedding::vector(384))) WHERE dimensions = 384.
CREATE TABLE ingestion.chunks (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    knowledge_base_id  uuid NOT NULL REFERENCES ingestion.knowledge_bases (id) ON DELETE CASCADE,
    document_id        uuid NOT NULL REFERENCES ingestion.documents (id) ON DELETE CASCADE,
    ordinal            integer NOT NULL,
    content            text NOT NULL,
    token_count        integer NOT NULL,
    page_start         integer,
    page_end           integer,
    heading_path       text[] NOT NULL DEFAULT '{}',
    char_start         integer NOT NULL,
    char_end           integer NOT NULL,
    dimensions         integer NOT NULL,
    embedding          vector NOT NULL,
    content_tsv        tsvector NOT NULL
);
CREATE INDEX chunks_document ON ingestion.chunks (document_id, ordinal);
CREATE INDEX chunks_kb ON ingestion.chunks (knowledge_base_id);
CREATE INDEX chunks_tsv ON ingestion.chunks USING gin (content_tsv);
CREATE INDEX chunks_embedding_hnsw_384 ON ingestion.chunks
    USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dimensions = 384;

-- The queue. Workers claim with FOR UPDATE SKIP LOCKED and hold a lease (locked_until) they renew;
-- a worker that dies leaves a lapsed lease, and the job is claimed again.
CREATE TABLE ingestion.jobs (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL,
    document_id    uuid NOT NULL REFERENCES ingestion.documents (id) ON DELETE CASCADE,
    status         text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts       integer NOT NULL DEFAULT 0,
    max_attempts   integer NOT NULL,
    run_after      timestamptz NOT NULL DEFAULT now(),
    locked_by      text,
    locked_until   timestamptz,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON ingestion.jobs (run_after) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_document ON ingestion.jobs (document_id);

ALTER TABLE ingestion.knowledge_bases ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingestion.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingestion.chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingestion.jobs ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON ingestion.knowledge_bases
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON ingestion.documents
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON ingestion.chunks
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON ingestion.jobs
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON ingestion.knowledge_bases, ingestion.documents, ingestion.chunks, ingestion.jobs TO platform_tenant;
