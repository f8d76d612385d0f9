-- Delivery failures the owner has looked at and closed (Audit → Delivery failures).
ALTER TABLE messages ADD COLUMN failure_resolved_at BIGINT;
ALTER TABLE messages ADD COLUMN failure_resolved_by BIGINT;
ALTER TABLE messages ADD COLUMN failure_note TEXT;
CREATE INDEX messages_org_failed ON messages(org_id, failed_at) WHERE failed_at IS NOT NULL;
