-- Fine-tuning: uploaded datasets, jobs (which double as the worker's queue), their events and checkpoints.
CREATE TABLE finetune.files (
    id           text PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    filename     text NOT NULL,
    purpose      text NOT NULL CHECK (purpose = 'fine-tune'),
    bytes        bigint NOT NULL,
    model        text NOT NULL,
    examples     integer NOT NULL,
    tokens       bigint NOT NULL,
    trainable_tokens bigint NOT NULL,
    max_example_tokens integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_tenant ON finetune.files (tenant_id, created_at);

-- status moves validating_files → queued → running → succeeded | failed | cancelled; a running job
-- whose worker stops is put back to queued (graceful stop) or reclaimed when its lease lapses.
CREATE TABLE finetune.jobs (
    id               text PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    model            text NOT NULL,
    training_file    text NOT NULL,
    validation_file  text,
    suffix           text,
    seed             bigint NOT NULL,
    hyperparameters  jsonb NOT NULL,
    status           text NOT NULL CHECK (status IN ('validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    output_name      text NOT NULL,
    fine_tuned_model text,
    estimated_tokens bigint NOT NULL DEFAULT 0,
    trained_tokens   bigint NOT NULL DEFAULT 0,
    error_code       text,
    error_message    text,
    worker_id        text,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
CREATE INDEX jobs_tenant ON finetune.jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_queue ON finetune.jobs (created_at) WHERE status IN ('validating_files', 'queued', 'running');
CREATE UNIQUE INDEX jobs_output_name ON finetune.jobs (tenant_id, output_name) WHERE status NOT IN ('failed', 'cancelled');

CREATE TABLE finetune.job_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    job_id      text NOT NULL REFERENCES finetune.jobs (id) ON DELETE CASCADE,
    level       text NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    type        text NOT NULL CHECK (type IN ('message', 'metrics')),
    message     text NOT NULL,
    data        jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON finetune.job_events (job_id, id DESC);

CREATE TABLE finetune.job_checkpoints (
    id          text PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    job_id      text NOT NULL REFERENCES finetune.jobs (id) ON DELETE CASCADE,
    step        integer NOT NULL,
    path        text NOT NULL,
    metrics     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, step)
);

-- Row-level security: tenant-scoped transactions see and write only their tenant's rows.
ALTER TABLE finetune.files ENABLE ROW LEVEL SECURITY;
ALTER TABLE finetune.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE finetune.job_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE finetune.job_checkpoints ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON finetune.files
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON finetune.jobs
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON finetune.job_events
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON finetune.job_checkpoints
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON finetune.files, finetune.jobs, finetune.job_checkpoints TO platform_tenant;
GRANT SELECT, INSERT ON finetune.job_events TO platform_tenant;
