-- Retention: events 1 to purged_through of a tenant's log are purged (a multiple of 256), and the
-- purges up to recorded_through are recorded in the log as log.purge events.
CREATE TABLE retention_state (
    tenant_id         INTEGER PRIMARY KEY,
    purged_through    INTEGER NOT NULL,
    recorded_through  INTEGER NOT NULL
);

-- The 256 leaf hashes (32 bytes each, in seq order) of a purged block in which a signed checkpoint
-- ends, so consistency proofs from that checkpoint still work. Other purged blocks keep only their
-- level-8 node in merkle_nodes.
CREATE TABLE purged_leaf_blocks (
    tenant_id  INTEGER NOT NULL,
    block      INTEGER NOT NULL,
    hashes     BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, block)
) WITHOUT ROWID;

CREATE TABLE alert_rules (
    id              TEXT    PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    query           TEXT    NOT NULL,
    threshold       INTEGER,
    window_minutes  INTEGER,
    group_by        TEXT,
    dimension       TEXT,
    enabled         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX ix_alert_rules_tenant ON alert_rules (tenant, created_at);

-- What each first-seen rule has seen: one row per (actor, IP or country).
CREATE TABLE alert_seen (
    rule_id  TEXT NOT NULL,
    actor    TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (rule_id, actor, value)
) WITHOUT ROWID;

-- How far each tenant's log has been evaluated against its alert rules.
CREATE TABLE alert_cursors (
    tenant  TEXT    PRIMARY KEY,
    seq     INTEGER NOT NULL
);

CREATE TABLE webhooks (
    id           TEXT    PRIMARY KEY,
    tenant       TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    secret       TEXT    NOT NULL,
    event_types  TEXT    NOT NULL,
    enabled      INTEGER NOT NULL,
    description  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE INDEX ix_webhooks_tenant ON webhooks (tenant, created_at);

-- The durable delivery queue and its history. A pending delivery is due at next_attempt_at; while a
-- worker holds it, next_attempt_at is the end of the worker's lease.
CREATE TABLE webhook_deliveries (
    id               TEXT    PRIMARY KEY,
    webhook_id       TEXT    NOT NULL,
    tenant           TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    payload          BLOB    NOT NULL,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    completed_at     INTEGER
);

CREATE INDEX ix_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ix_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);
