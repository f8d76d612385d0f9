-- Alert rules the owner tunes (SPEC §3.7): when a rule was last switched on
-- (scheduled rules don't alert about what happened before), and who changed it.
ALTER TABLE alert_rules ADD COLUMN watching_since BIGINT;
ALTER TABLE alert_rules ADD COLUMN updated_at BIGINT;
ALTER TABLE alert_rules ADD COLUMN updated_by BIGINT;
-- Scheduled rules raise once per cause, whatever became of the last alert.
CREATE INDEX alerts_org_cause ON alerts(org_id, cause_key);
