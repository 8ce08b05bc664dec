-- An upload that names no base model (OpenAI's files API has no such field) is checked without a
-- tokenizer: its row has no model and no token counts until a job names a model.
ALTER TABLE finetune.files
    ALTER COLUMN model DROP NOT NULL,
    ALTER COLUMN tokens DROP NOT NULL,
    ALTER COLUMN trainable_tokens DROP NOT NULL,
    ALTER COLUMN max_example_tokens DROP NOT NULL;

-- A file's token counts per base model (computed at upload with a model, or at job creation), so a
-- file is tokenized once per model. Only valid files get a row.
CREATE TABLE finetune.file_token_counts (
    tenant_id          uuid NOT NULL,
    file_id            text NOT NULL REFERENCES finetune.files (id) ON DELETE CASCADE,
    model              text NOT NULL,
    examples           integer NOT NULL,
    tokens             bigint NOT NULL,
    trainable_tokens   bigint NOT NULL,
    max_example_tokens integer NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (file_id, model)
);

ALTER TABLE finetune.file_token_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON finetune.file_token_counts
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON finetune.file_token_counts TO platform_tenant;
