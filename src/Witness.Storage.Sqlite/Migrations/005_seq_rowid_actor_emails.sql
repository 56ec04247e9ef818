-- Two fewer secondary indexes on events, because every index an insert touches costs ingest speed
-- (bench/RESULTS.md):
--
-- 1. The row id is the log position itself: rid = tenant_id * 2^40 + seq (2^40 = 1,099,511,627,776
--    events per tenant). A tenant's log is one contiguous, ordered range of the table, so reading a
--    log in order (verify, proofs, retention) is a range scan of the table and the rid primary key
--    keeps (tenant, seq) unique; the separate (tenant_id, seq) index is gone.
-- 2. The actor-email index is replaced by actor_emails, the distinct (email, actor id) pairs seen per
--    tenant. An email search looks up the actor id(s) there and reads ix_events_actor; the pairs only
--    change when a new pair appears, so ingest rarely writes a page of it.
CREATE TABLE events_by_position (
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

INSERT INTO events_by_position
SELECT tenant_id * 1099511627776 + seq, tenant_id, seq, event_id, occurred_at, received_at, type, action, category, outcome,
       actor_id, actor_email, ip, search_text, content_digest, hash, body
FROM events ORDER BY tenant_id, seq;

DROP TABLE events;
ALTER TABLE events_by_position RENAME TO events;

CREATE UNIQUE INDEX ux_events_id ON events (tenant_id, event_id);
CREATE INDEX ix_events_time ON events (tenant_id, occurred_at, seq, type, outcome, category, action, ip);
CREATE INDEX ix_events_actor ON events (tenant_id, actor_id, occurred_at, seq) WHERE actor_id IS NOT NULL;
CREATE INDEX ix_events_action ON events (tenant_id, action, occurred_at, seq);

-- actor_id is '' for events that carry an email but no actor id.
CREATE TABLE actor_emails (
    tenant_id  INTEGER NOT NULL,
    email      TEXT    NOT NULL,
    actor_id   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, email, actor_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO actor_emails (tenant_id, email, actor_id)
SELECT DISTINCT tenant_id, actor_email, coalesce(actor_id, '') FROM events WHERE actor_email IS NOT NULL;
