-- Plans: the limits a tenant's traffic is throttled to (per tenant; a key may narrow them).
-- requests_per_minute and tokens_per_minute are sliding-window / token-bucket limits enforced in
-- Redis; max_concurrent counts in-flight requests (streams hold theirs until they end);
-- max_sessions and session_idle_seconds bound open chat sessions (consumer tenants).
CREATE TABLE gateway.plans (
    name                  text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 50),
    requests_per_minute   integer NOT NULL CHECK (requests_per_minute > 0),
    tokens_per_minute     integer NOT NULL CHECK (tokens_per_minute > 0),
    max_concurrent        integer NOT NULL CHECK (max_concurrent > 0),
    max_sessions          integer NOT NULL CHECK (max_sessions > 0),
    session_idle_seconds  integer NOT NULL CHECK (session_idle_seconds > 0),
    created_at            timestamptz NOT NULL DEFAULT now()
);
INSERT INTO gateway.plans (name, requests_per_minute, tokens_per_minute, max_concurrent, max_sessions, session_idle_seconds) VALUES
    ('free',          20,     20000,   2,    2,   600),
    ('default',       60,     60000,   4,    4,   900),
    ('demo',          60,     60000,   4,    4,   900),
    ('pro',          600,    600000,  32,   32,  1800),
    ('enterprise', 6000,  6000000, 256, 1024,  3600);

-- A key may be narrowed below its tenant's plan (NULL: the plan's limit applies to the key too).
ALTER TABLE gateway.api_keys
    ADD COLUMN requests_per_minute integer CHECK (requests_per_minute > 0),
    ADD COLUMN tokens_per_minute   integer CHECK (tokens_per_minute > 0),
    ADD COLUMN max_concurrent      integer CHECK (max_concurrent > 0),
    ADD COLUMN rotated_to          text;

-- One row per proxied call. request_id is unique so a retried flush never counts a call twice.
CREATE TABLE gateway.usage (
    request_id         uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES gateway.tenants (id) ON DELETE CASCADE,
    key_id             text NOT NULL,
    route              text NOT NULL,
    model              text NOT NULL DEFAULT '',
    status             integer NOT NULL,
    prompt_tokens      integer NOT NULL DEFAULT 0,
    completion_tokens  integer NOT NULL DEFAULT 0,
    usage_source       text NOT NULL CHECK (usage_source IN ('reported', 'counted', 'none')),
    latency_ms         double precision NOT NULL,
    created_at         timestamptz NOT NULL
);
CREATE INDEX usage_tenant_time ON gateway.usage (tenant_id, created_at);

ALTER TABLE gateway.usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON gateway.usage
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT ON gateway.plans TO platform_tenant;
GRANT SELECT, INSERT ON gateway.usage TO platform_tenant;
