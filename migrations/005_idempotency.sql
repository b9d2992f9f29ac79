-- Idempotency keys of POST /v1/chat and POST /v1/threads/import (the Idempotency-Key header).
-- A key belongs to one caller (tenant and user) and is kept 24 hours. `status` is 'running' while
-- the first request works; the turn's persist step (or the import's transaction) sets 'completed'
-- and the answer in the same transaction that writes the rows, so a retry never runs it twice.
CREATE TABLE idempotency_keys (
    tenant_id    text NOT NULL,
    user_id      text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash text NOT NULL,                 -- sha256 of the endpoint and its canonical body
    status       text NOT NULL CHECK (status IN ('running', 'completed')),
    claim        uuid NOT NULL,                 -- who runs it: only this claim may complete it
    response     jsonb,                         -- the first answer, replayed to a retry
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, key),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);
-- Expired keys are purged per caller when the caller sends a new one.
CREATE INDEX idempotency_keys_age ON idempotency_keys (tenant_id, user_id, created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (tenant_id = current_setting('mnemo.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('mnemo.tenant_id', true));
