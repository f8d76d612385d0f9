-- Schema parity with SQLite (server/tests/api/schema.rs found these).
-- The audit guard: one trigger per kind of statement, named as in SQLite.
-- audit_events_no_update stopped deletes too here, so switching it off (as
-- an operator might, to repair a row) let deletes through on PostgreSQL only.
DROP TRIGGER audit_events_no_update ON audit_events;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
