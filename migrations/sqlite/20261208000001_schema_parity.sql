-- Schema parity with PostgreSQL (server/tests/api/schema.rs found these).
-- A SQLite primary key other than INTEGER PRIMARY KEY accepts NULL, as many
-- rows of it as you like, unless declared NOT NULL; PostgreSQL's never does.
-- SQLite can't add NOT NULL to a column, so these five tables are rebuilt
-- (no table references them). A row with a NULL key can't be found by its
-- key, so none is carried over.

CREATE TABLE setup_progress_new (
    org_id BIGINT NOT NULL PRIMARY KEY REFERENCES organisations(id),
    current_step BIGINT NOT NULL DEFAULT 1,
    completed_steps TEXT NOT NULL DEFAULT '[]',
    skipped_steps TEXT NOT NULL DEFAULT '[]',
    data TEXT NOT NULL DEFAULT '{}',
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);
INSERT INTO setup_progress_new (org_id, current_step, completed_steps, skipped_steps, data, finished_at, updated_at)
SELECT org_id, current_step, completed_steps, skipped_steps, data, finished_at, updated_at
FROM setup_progress WHERE org_id IS NOT NULL;
DROP TABLE setup_progress;
ALTER TABLE setup_progress_new RENAME TO setup_progress;

CREATE TABLE sessions_new (
    id TEXT NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
INSERT INTO sessions_new (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent)
SELECT id, user_id, created_at, expires_at, last_seen_at, ip, user_agent
FROM sessions WHERE id IS NOT NULL;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE password_tokens_new (
    id TEXT NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
INSERT INTO password_tokens_new (id, user_id, created_at, expires_at, used_at)
SELECT id, user_id, created_at, expires_at, used_at
FROM password_tokens WHERE id IS NOT NULL;
DROP TABLE password_tokens;
ALTER TABLE password_tokens_new RENAME TO password_tokens;

CREATE TABLE audit_heads_new (
    org_id BIGINT NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_heads_new (org_id, seq, last_hash)
SELECT org_id, seq, last_hash FROM audit_heads WHERE org_id IS NOT NULL;
DROP TABLE audit_heads;
ALTER TABLE audit_heads_new RENAME TO audit_heads;

CREATE TABLE provider_breaker_new (
    org_id BIGINT NOT NULL PRIMARY KEY,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    opened_until BIGINT,
    last_failure_at BIGINT,
    last_error TEXT,
    probe_started_at BIGINT
);
INSERT INTO provider_breaker_new (org_id, consecutive_failures, opened_until, last_failure_at, last_error, probe_started_at)
SELECT org_id, consecutive_failures, opened_until, last_failure_at, last_error, probe_started_at
FROM provider_breaker WHERE org_id IS NOT NULL;
DROP TABLE provider_breaker;
ALTER TABLE provider_breaker_new RENAME TO provider_breaker;
