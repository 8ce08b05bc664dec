-- Tenants, the people who sign in for them, and their API keys.
CREATE TABLE gateway.tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    tier        text NOT NULL CHECK (tier IN ('consumer', 'enterprise')),
    plan        text NOT NULL DEFAULT 'default',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tenants_name_key ON gateway.tenants (lower(name));

CREATE TABLE gateway.users (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES gateway.tenants (id) ON DELETE CASCADE,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('platform_admin', 'tenant_admin', 'member')),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON gateway.users (lower(email));

-- The secret is never stored: secret_hash is HMAC-SHA-256(server secret, secret).
CREATE TABLE gateway.api_keys (
    id            text PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES gateway.tenants (id) ON DELETE CASCADE,
    name          text NOT NULL,
    secret_hash   bytea NOT NULL,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_tenant ON gateway.api_keys (tenant_id);

-- Row-level security: a tenant-scoped transaction (role platform_tenant, app.tenant_id set)
-- sees and writes only its own tenant's rows, whatever WHERE clause the SQL has or forgets.
ALTER TABLE gateway.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE gateway.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE gateway.api_keys ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON gateway.tenants
    USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON gateway.users
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON gateway.api_keys
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, UPDATE ON gateway.tenants TO platform_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON gateway.users, gateway.api_keys TO platform_tenant;
