-- Log streams (issue 19): where each tenant's events are delivered, the durable cursor
-- (delivered_seq: every event up to it was delivered or filtered out), what the last attempt came to,
-- and the lease that lets one delivery worker at a time hold the stream. Lists are JSON arrays.
CREATE TABLE log_streams (
    id                TEXT    PRIMARY KEY,
    tenant            TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    format            TEXT    NOT NULL,
    secret            TEXT,
    ca_pem           TEXT,
    pinned_sha256     TEXT,
    types             TEXT    NOT NULL,
    categories        TEXT    NOT NULL,
    query             TEXT    NOT NULL,
    paused            INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    delivered_seq     INTEGER NOT NULL,
    delivered_at      INTEGER,
    last_error        TEXT,
    last_error_at     INTEGER,
    failing_since     INTEGER,
    failure_recorded  INTEGER NOT NULL DEFAULT 0,
    lease_owner       TEXT,
    lease_until       INTEGER
);

CREATE INDEX ix_log_streams_tenant ON log_streams (tenant, created_at);
