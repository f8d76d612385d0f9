-- Security hardening (issue 16).
-- What a sitter may read of each text, decided once when it is stored:
-- the hidden byte spans (JSON; NULL = not decided yet, shown to nobody but
-- owners) and the text with them replaced (NULL = nothing hidden).
ALTER TABLE messages ADD COLUMN sitter_spans TEXT;
ALTER TABLE messages ADD COLUMN sitter_body TEXT;
CREATE INDEX messages_sitter_undecided ON messages(id) WHERE sitter_spans IS NULL AND direction <> 'note';

-- A person's own mobile number: where sign-in unlock codes are texted.
ALTER TABLE users ADD COLUMN phone TEXT;

-- One-time codes that unlock an account locked by failed sign-ins.
CREATE TABLE unlock_codes (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
CREATE INDEX unlock_codes_user ON unlock_codes(user_id, created_at);

-- The circuit breaker's half-open probe: one send at a time decides.
ALTER TABLE provider_breaker ADD COLUMN probe_started_at BIGINT;

-- The Twilio account an organisation connected (an identifier, not a
-- secret): webhooks about a number we don't know are checked against the
-- signing key of the account they name, or refused.
ALTER TABLE organisations ADD COLUMN provider_account_sid TEXT;
CREATE INDEX organisations_provider_account ON organisations(provider_account_sid);
