-- What the Demo provider "sent": one row per accepted message, so sends are
-- recorded (and a resumed send can tell it already went out).
CREATE TABLE demo_outbox (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    sid TEXT NOT NULL UNIQUE,
    from_e164 TEXT NOT NULL,
    to_e164 TEXT NOT NULL,
    body TEXT NOT NULL,
    message_ref TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX demo_outbox_ref ON demo_outbox(message_ref);
