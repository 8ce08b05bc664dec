-- Document metadata for filtered retrieval: tags (GIN, for && and @>) and an optional
-- user-supplied date (e.g. a publication date; filters fall back to created_at without one).
-- The columns sit on ingestion.documents, so its row-level security policy covers them.
ALTER TABLE ingestion.documents
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN document_date date;
CREATE INDEX documents_tags ON ingestion.documents USING gin (tags);
