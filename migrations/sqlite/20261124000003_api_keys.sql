-- Integration API (v1): per-organisation keys, stored as a SHA-256 hash of
-- the random secret (shown once), and the responses kept for
-- Idempotency-Key replays.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'read_write')),
    key_hash TEXT NOT NULL,
    hint TEXT NOT NULL,
    rate_limit_per_minute BIGINT NOT NULL DEFAULT 120,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    revoked_by BIGINT
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys(key_hash);
CREATE INDEX api_keys_org ON api_keys(org_id, created_at);

CREATE TABLE api_idempotency (
    key_id BIGINT NOT NULL REFERENCES api_keys(id),
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    content_type TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created_at);
