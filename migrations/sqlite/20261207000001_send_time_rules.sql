-- Correctness at the moment of sending (issue 18).
-- The owner chose to keep a quarantined number out of service after its
-- cooldown (1); otherwise the sweep returns it to the pool when it ends.
ALTER TABLE numbers ADD COLUMN keep_quarantined SMALLINT NOT NULL DEFAULT 0;
-- The address the number's webhooks were pointed at when it was hooked up
-- (NULL = PUBLIC_BASE_URL): signatures are checked against it.
ALTER TABLE numbers ADD COLUMN hookup_base_url TEXT;

-- Read state per person: when each user last read each conversation, and
-- whether they marked it unread. With no row, texts after the user joined
-- count as unread for them.
CREATE TABLE thread_reads (
    thread_id BIGINT NOT NULL REFERENCES threads(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    read_at BIGINT NOT NULL,
    marked_unread SMALLINT NOT NULL DEFAULT 0 CHECK (marked_unread IN (0, 1)),
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX thread_reads_user ON thread_reads(user_id, thread_id);
-- Until now read state was shared: a conversation read by anyone stays read
-- for everyone who could see it; unread ones stay unread for all.
INSERT INTO thread_reads (thread_id, user_id, read_at, marked_unread)
SELECT t.id, u.id, COALESCE(t.last_inbound_at, 0), 0
FROM threads t JOIN users u ON u.org_id = t.org_id
WHERE t.unread_count = 0;
CREATE INDEX threads_org_inbound ON threads(org_id, last_inbound_at);
