-- Per-tenant prompt templates (Semantic Kernel syntax) and server-side conversation sessions.
CREATE TABLE rag.prompt_templates (
    tenant_id    uuid NOT NULL,
    name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    template     text NOT NULL CHECK (length(template) BETWEEN 1 AND 32768),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE rag.sessions (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    principal    text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_tenant ON rag.sessions (tenant_id, updated_at DESC);

CREATE TABLE rag.session_messages (
    session_id   uuid NOT NULL REFERENCES rag.sessions (id) ON DELETE CASCADE,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id    uuid NOT NULL,
    role         text NOT NULL CHECK (role IN ('user', 'assistant')),
    content      text NOT NULL,
    citations    jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, seq)
);

-- Row-level security: a tenant-scoped transaction (role platform_tenant, app.tenant_id set) sees
-- and writes only its own tenant's rows, whatever WHERE clause the SQL has or forgets.
ALTER TABLE rag.prompt_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.session_messages ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON rag.prompt_templates
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON rag.sessions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON rag.session_messages
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON rag.prompt_templates, rag.sessions, rag.session_messages TO platform_tenant;

-- Per-tenant settings: the LLM answer cache is off unless the tenant opts in.
CREATE TABLE rag.tenant_settings (
    tenant_id              uuid PRIMARY KEY,
    llm_cache_enabled      boolean NOT NULL DEFAULT false,
    llm_cache_ttl_seconds  integer NOT NULL DEFAULT 3600 CHECK (llm_cache_ttl_seconds BETWEEN 1 AND 604800),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE rag.tenant_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rag.tenant_settings
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON rag.tenant_settings TO platform_tenant;
