-- The GPU pool: nodes (this host and registered workers), their devices, and the placements the
-- scheduler has bound. The inventory is platform-wide; placements belong to tenants.
CREATE TABLE scheduler.nodes (
    id              text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    source          text NOT NULL CHECK (source IN ('local', 'worker', 'config')),
    registered_at   timestamptz NOT NULL,
    last_heartbeat  timestamptz NOT NULL,
    drained_at      timestamptz
);

CREATE TABLE scheduler.devices (
    id              text PRIMARY KEY,
    node_id         text NOT NULL REFERENCES scheduler.nodes (id) ON DELETE CASCADE,
    model           text NOT NULL,
    memory_bytes    bigint NOT NULL CHECK (memory_bytes > 0),
    nvlink_group    text NOT NULL,
    mig_slice_bytes bigint[] NOT NULL DEFAULT '{}',
    mps_shares      integer NOT NULL DEFAULT 0 CHECK (mps_shares >= 0)
);
CREATE INDEX devices_node ON scheduler.devices (node_id);

CREATE TABLE scheduler.placements (
    workload_id        text PRIMARY KEY CHECK (length(workload_id) BETWEEN 1 AND 200),
    tenant_id          uuid NOT NULL,
    priority           text NOT NULL,
    kind               text NOT NULL,
    memory_per_device  bigint NOT NULL CHECK (memory_per_device > 0),
    device_ids         text[] NOT NULL,
    borrowing          boolean NOT NULL,
    placed_at          timestamptz NOT NULL
);
CREATE INDEX placements_tenant ON scheduler.placements (tenant_id);

-- A tenant-scoped transaction sees only its own placements; the scheduler itself (table owner)
-- sees the whole pool.
ALTER TABLE scheduler.placements ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scheduler.placements
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON scheduler.placements TO platform_tenant;
