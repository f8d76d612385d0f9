-- Password reset links (issue 23): the owner makes one for a sitter, sees
-- it once and sends it to them; it is stored only as its SHA-256 hash,
-- works once, and only within 24 hours. A newer link replaces older ones.
CREATE TABLE password_resets (
    id TEXT NOT NULL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets(user_id);
