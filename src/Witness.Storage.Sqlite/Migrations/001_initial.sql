-- One row per tenant: its internal id and the committed head of its Merkle log.
CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    log_size    INTEGER NOT NULL DEFAULT 0,
    frontier    BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Every event, its canonical body (the hashed bytes) and the columns derived from it for search.
-- rid grows with insertion, so the table itself is only ever appended to.
CREATE TABLE events (
    rid             INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    event_id        TEXT    NOT NULL,
    occurred_at     INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    type            TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    category        TEXT,
    outcome         TEXT    NOT NULL,
    actor_id        TEXT,
    actor_email     TEXT,
    ip              BLOB,
    search_text     TEXT    NOT NULL,
    content_digest  BLOB    NOT NULL,
    hash            BLOB    NOT NULL,
    body            BLOB    NOT NULL
);

CREATE UNIQUE INDEX ux_events_seq ON events (tenant_id, seq);
CREATE UNIQUE INDEX ux_events_id ON events (tenant_id, event_id);
-- The time index carries the low-cardinality filter columns, so tabs, outcome, category, action
-- prefixes and IP ranges are checked in the index without touching the table.
CREATE INDEX ix_events_time ON events (tenant_id, occurred_at, seq, type, outcome, category, action, ip);
CREATE INDEX ix_events_actor ON events (tenant_id, actor_id, occurred_at, seq) WHERE actor_id IS NOT NULL;
CREATE INDEX ix_events_email ON events (tenant_id, actor_email, occurred_at, seq) WHERE actor_email IS NOT NULL;
CREATE INDEX ix_events_action ON events (tenant_id, action, occurred_at, seq);

CREATE TABLE event_targets (
    tenant_id    INTEGER NOT NULL,
    target_id    TEXT    NOT NULL,
    target_type  TEXT    NOT NULL,
    occurred_at  INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, target_id, target_type, occurred_at, seq)
) WITHOUT ROWID;

-- Completed perfect subtrees of each tenant's tree at level >= 8, for O(log n) proofs.
CREATE TABLE merkle_nodes (
    tenant_id  INTEGER NOT NULL,
    level      INTEGER NOT NULL,
    idx        INTEGER NOT NULL,
    hash       BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, level, idx)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    tenant_id   INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    root        BLOB    NOT NULL,
    note        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, size)
) WITHOUT ROWID;

CREATE TABLE api_keys (
    key_id       TEXT    PRIMARY KEY,
    secret_hash  BLOB    NOT NULL,
    tenant       TEXT,
    scopes       TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE tenant_settings (
    tenant          TEXT    PRIMARY KEY,
    retention_days  INTEGER NOT NULL,
    time_zone       TEXT    NOT NULL,
    strict_mode     INTEGER NOT NULL,
    legal_hold      INTEGER NOT NULL
);
