-- Leashline schema (SQLite). The PostgreSQL twin lives in ../postgres and
-- must describe the same tables and columns.
-- Conventions: ids are 64-bit integers; times are BIGINT milliseconds since
-- the Unix epoch, UTC; flags are SMALLINT 0/1; JSON is TEXT.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL DEFAULT 'America/New_York',
    default_region TEXT NOT NULL DEFAULT 'US',
    provider_kind TEXT NOT NULL DEFAULT 'demo' CHECK (provider_kind IN ('demo', 'twilio')),
    provider_credentials TEXT,
    provider_label TEXT,
    provider_connected_at BIGINT,
    help_text TEXT,
    ready_at BIGINT,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);

CREATE TABLE setup_progress (
    org_id BIGINT PRIMARY KEY REFERENCES organisations(id),
    current_step BIGINT NOT NULL DEFAULT 1,
    completed_steps TEXT NOT NULL DEFAULT '[]',
    skipped_steps TEXT NOT NULL DEFAULT '[]',
    data TEXT NOT NULL DEFAULT '{}',
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sitters (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    active SMALLINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL,
    deactivated_at BIGINT
);
CREATE INDEX sitters_org ON sitters(org_id, active, name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner', 'sitter', 'admin')),
    sitter_id BIGINT REFERENCES sitters(id),
    active SMALLINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL,
    last_sign_in_at BIGINT
);
CREATE UNIQUE INDEX users_email ON users(email);
CREATE INDEX users_org ON users(org_id, role);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at BIGINT NOT NULL,
    succeeded SMALLINT NOT NULL CHECK (succeeded IN (0, 1))
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts(key, at);

CREATE TABLE password_tokens (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE clients (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    notes TEXT,
    is_unknown SMALLINT NOT NULL DEFAULT 0 CHECK (is_unknown IN (0, 1)),
    opted_out_everywhere SMALLINT NOT NULL DEFAULT 0 CHECK (opted_out_everywhere IN (0, 1)),
    merged_into BIGINT REFERENCES clients(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX clients_org_name ON clients(org_id, name);

CREATE TABLE client_contacts (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    client_id BIGINT NOT NULL REFERENCES clients(id),
    e164 TEXT NOT NULL,
    label TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX client_contacts_org_e164 ON client_contacts(org_id, e164);
CREATE INDEX client_contacts_client ON client_contacts(client_id);

CREATE TABLE numbers (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    e164 TEXT NOT NULL,
    class TEXT NOT NULL CHECK (class IN ('front_desk', 'sitter', 'pool')),
    status TEXT NOT NULL CHECK (status IN ('active', 'quarantined', 'inactive')),
    sitter_id BIGINT REFERENCES sitters(id),
    provider_sid TEXT,
    area_code TEXT,
    monthly_cost_cents BIGINT,
    purchased_at BIGINT,
    registration TEXT NOT NULL DEFAULT 'not_applicable',
    quarantined_at BIGINT,
    quarantine_reason TEXT,
    quarantine_note TEXT,
    cooldown_until BIGINT,
    released_at BIGINT,
    last_used_at BIGINT,
    hookup_status TEXT NOT NULL DEFAULT 'pending',
    hookup_checked_at BIGINT,
    hookup_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX numbers_e164_live ON numbers(e164) WHERE status <> 'inactive';
CREATE INDEX numbers_org_class_status ON numbers(org_id, class, status, e164);
CREATE INDEX numbers_org_sitter ON numbers(org_id, sitter_id);
CREATE INDEX numbers_org_last_used ON numbers(org_id, last_used_at);

CREATE TABLE number_assignments (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    number_id BIGINT NOT NULL REFERENCES numbers(id),
    sitter_id BIGINT REFERENCES sitters(id),
    class TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    reason TEXT
);
CREATE INDEX number_assignments_number ON number_assignments(number_id, started_at);

CREATE TABLE threads (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    client_id BIGINT NOT NULL REFERENCES clients(id),
    number_id BIGINT NOT NULL REFERENCES numbers(id),
    is_current SMALLINT NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1)),
    started_by TEXT NOT NULL DEFAULT 'client',
    created_at BIGINT NOT NULL,
    last_message_at BIGINT,
    last_message_preview TEXT,
    last_inbound_at BIGINT,
    awaiting_reply_since BIGINT,
    unread_count BIGINT NOT NULL DEFAULT 0,
    open_violations BIGINT NOT NULL DEFAULT 0,
    failed_deliveries BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX threads_client_number ON threads(client_id, number_id);
CREATE INDEX threads_org_last ON threads(org_id, last_message_at, id);
CREATE INDEX threads_org_unread ON threads(org_id, unread_count);
CREATE INDEX threads_number ON threads(number_id, is_current);

CREATE TABLE thread_participants (
    thread_id BIGINT NOT NULL REFERENCES threads(id),
    e164 TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (thread_id, e164)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    thread_id BIGINT NOT NULL REFERENCES threads(id),
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'note')),
    sender_kind TEXT NOT NULL,
    sender_user_id BIGINT,
    sender_sitter_id BIGINT,
    automation_id BIGINT,
    from_e164 TEXT,
    to_e164 TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_sid TEXT,
    error_code TEXT,
    error_message TEXT,
    segments BIGINT,
    encoding TEXT,
    num_media BIGINT NOT NULL DEFAULT 0,
    routing_decision_id BIGINT,
    routed_to TEXT,
    target_sitter_id BIGINT,
    policy_flagged SMALLINT NOT NULL DEFAULT 0 CHECK (policy_flagged IN (0, 1)),
    policy_override SMALLINT NOT NULL DEFAULT 0 CHECK (policy_override IN (0, 1)),
    scheduled_for BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    delivered_at BIGINT,
    failed_at BIGINT
);
CREATE UNIQUE INDEX messages_provider_sid ON messages(provider_sid) WHERE provider_sid IS NOT NULL;
CREATE INDEX messages_thread ON messages(thread_id, id);
CREATE INDEX messages_org_created ON messages(org_id, created_at);
CREATE INDEX messages_org_status ON messages(org_id, status, created_at);
CREATE INDEX messages_org_sitter ON messages(org_id, sender_sitter_id, created_at);

CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;

CREATE TABLE message_media (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages(id),
    idx BIGINT NOT NULL,
    content_type TEXT,
    provider_url TEXT NOT NULL,
    stored_path TEXT,
    size_bytes BIGINT,
    fetched_at BIGINT,
    error TEXT,
    UNIQUE (message_id, idx)
);

CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages(id),
    attempt BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    outcome TEXT NOT NULL,
    provider_sid TEXT,
    error_code TEXT,
    error_message TEXT
);
CREATE INDEX delivery_attempts_message ON delivery_attempts(message_id, attempt);

CREATE TABLE status_callbacks (
    id INTEGER PRIMARY KEY,
    org_id BIGINT,
    message_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    received_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (message_sid, status)
);

CREATE TABLE opt_outs (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    e164 TEXT NOT NULL,
    number_id BIGINT NOT NULL,
    opted_out SMALLINT NOT NULL CHECK (opted_out IN (0, 1)),
    changed_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (org_id, e164, number_id)
);

CREATE TABLE webhook_rejections (
    id INTEGER PRIMARY KEY,
    org_id BIGINT,
    at BIGINT NOT NULL,
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    remote TEXT
);
CREATE INDEX webhook_rejections_at ON webhook_rejections(at);

CREATE TABLE bookings (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    client_id BIGINT NOT NULL REFERENCES clients(id),
    sitter_id BIGINT NOT NULL REFERENCES sitters(id),
    service TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'confirmed', 'cancelled', 'completed')),
    created_at BIGINT NOT NULL,
    created_by BIGINT
);
CREATE INDEX bookings_org_start ON bookings(org_id, starts_at);

CREATE TABLE assignment_windows (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    thread_id BIGINT NOT NULL REFERENCES threads(id),
    client_id BIGINT NOT NULL REFERENCES clients(id),
    sitter_id BIGINT NOT NULL REFERENCES sitters(id),
    kind TEXT NOT NULL CHECK (kind IN ('weekly_client', 'one_time_booking', 'meet_and_greet')),
    booking_id BIGINT REFERENCES bookings(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    deleted_at BIGINT,
    closed_reason TEXT,
    CHECK (starts_at < ends_at)
);
CREATE INDEX windows_thread ON assignment_windows(thread_id, starts_at);
CREATE INDEX windows_org_time ON assignment_windows(org_id, starts_at, ends_at);
CREATE INDEX windows_sitter ON assignment_windows(sitter_id, starts_at);

CREATE TABLE routing_overrides (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    thread_id BIGINT NOT NULL REFERENCES threads(id),
    target TEXT NOT NULL,
    target_sitter_id BIGINT REFERENCES sitters(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    removed_at BIGINT,
    removed_by BIGINT,
    expired_at BIGINT,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT
);
CREATE INDEX overrides_thread ON routing_overrides(thread_id, created_at);
CREATE INDEX overrides_org_ends ON routing_overrides(org_id, ends_at);

CREATE TABLE routing_decisions (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    thread_id BIGINT REFERENCES threads(id),
    message_id BIGINT,
    evaluated_at BIGINT NOT NULL,
    direction TEXT NOT NULL,
    rule TEXT NOT NULL,
    target TEXT NOT NULL,
    target_sitter_id BIGINT,
    reason TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    decision TEXT NOT NULL,
    ruleset_version TEXT NOT NULL
);
CREATE INDEX routing_decisions_thread ON routing_decisions(thread_id, evaluated_at);
CREATE INDEX routing_decisions_org_time ON routing_decisions(org_id, evaluated_at);

CREATE TABLE policy_violations (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    thread_id BIGINT REFERENCES threads(id),
    message_id BIGINT,
    direction TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    sitter_id BIGINT,
    user_id BIGINT,
    body TEXT NOT NULL,
    redacted TEXT NOT NULL,
    hits TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed', 'approved')),
    created_at BIGINT NOT NULL,
    reviewed_at BIGINT,
    reviewed_by BIGINT,
    review_note TEXT
);
CREATE INDEX violations_org_status ON policy_violations(org_id, status, created_at);
CREATE INDEX violations_thread ON policy_violations(thread_id);

CREATE TABLE automations (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    lane TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    trigger_def TEXT NOT NULL,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    tested_version BIGINT,
    template_key TEXT,
    failure_count BIGINT NOT NULL DEFAULT 0,
    flagged_reason TEXT,
    last_run_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by BIGINT
);
CREATE INDEX automations_org_status ON automations(org_id, status);

CREATE TABLE automation_executions (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    automation_id BIGINT NOT NULL REFERENCES automations(id),
    automation_version BIGINT NOT NULL,
    is_test SMALLINT NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1)),
    trigger_kind TEXT NOT NULL,
    context TEXT NOT NULL,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    thread_id BIGINT,
    booking_id BIGINT,
    dedupe_key TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX automation_exec_auto ON automation_executions(automation_id, started_at);
CREATE UNIQUE INDEX automation_exec_dedupe ON automation_executions(automation_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    rule TEXT NOT NULL,
    cause_key TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by BIGINT,
    resolution_note TEXT,
    thread_id BIGINT,
    number_id BIGINT
);
CREATE UNIQUE INDEX alerts_open_cause ON alerts(org_id, cause_key) WHERE status = 'open';
CREATE INDEX alerts_org_status ON alerts(org_id, status, severity, last_seen_at);

CREATE TABLE alert_rules (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    rule TEXT NOT NULL,
    enabled SMALLINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    severity TEXT NOT NULL,
    threshold TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (org_id, rule)
);

CREATE TABLE escalation_rules (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    severity TEXT NOT NULL,
    after_minutes BIGINT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    enabled SMALLINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at BIGINT NOT NULL
);

CREATE TABLE escalation_events (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    rule_id BIGINT NOT NULL REFERENCES escalation_rules(id),
    alert_id BIGINT NOT NULL REFERENCES alerts(id),
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    UNIQUE (rule_id, alert_id)
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    user_id BIGINT,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    link TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_org ON notifications(org_id, created_at);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT,
    event_type TEXT NOT NULL,
    request_id TEXT,
    thread_id BIGINT,
    message_id BIGINT,
    routing_decision_id BIGINT,
    webhook_id TEXT,
    number_id BIGINT,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (org_id, seq)
);
CREATE INDEX audit_org_at ON audit_events(org_id, at, id);
CREATE INDEX audit_org_type ON audit_events(org_id, event_type, at);
CREATE INDEX audit_org_thread ON audit_events(org_id, thread_id, at);
CREATE INDEX audit_org_number ON audit_events(org_id, number_id, at);
CREATE INDEX audit_org_actor ON audit_events(org_id, actor_kind, actor_id, at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE audit_heads (
    org_id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    org_id BIGINT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead', 'ignored')),
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 3,
    run_at BIGINT NOT NULL,
    locked_at BIGINT,
    locked_by TEXT,
    last_error TEXT,
    dedupe_key TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    resolved_by BIGINT,
    resolution_note TEXT
);
CREATE INDEX jobs_ready ON jobs(status, run_at);
CREATE INDEX jobs_org_status ON jobs(org_id, status, created_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs(dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE provider_breaker (
    org_id BIGINT PRIMARY KEY,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    opened_until BIGINT,
    last_failure_at BIGINT,
    last_error TEXT
);
