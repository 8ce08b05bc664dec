-- A platform admin can disable a person without deleting them: a disabled user cannot sign in.
ALTER TABLE gateway.users ADD COLUMN disabled_at timestamptz;

-- Keyset paging of GET /api/users within a tenant (ids are UUIDv7, so id order is creation order).
CREATE INDEX users_tenant_id ON gateway.users (tenant_id, id);
