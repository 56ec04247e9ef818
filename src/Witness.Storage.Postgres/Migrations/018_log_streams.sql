-- Log streams (issue 19): where each tenant's events are delivered, the durable cursor
-- (delivered_seq: every event up to it was delivered or filtered out), what the last attempt came to,
-- and the lease that lets exactly one instance at a time deliver the stream.
CREATE TABLE log_streams (
    id                text PRIMARY KEY,
    tenant            text NOT NULL,
    name              text NOT NULL,
    kind              text NOT NULL,
    url               text NOT NULL,
    format            text NOT NULL,
    secret            text,
    ca_pem           text,
    pinned_sha256     text,
    types             text[] NOT NULL,
    categories        text[] NOT NULL,
    query             text NOT NULL,
    paused            boolean NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    delivered_seq     bigint NOT NULL,
    delivered_at      timestamptz,
    last_error        text,
    last_error_at     timestamptz,
    failing_since     timestamptz,
    failure_recorded  boolean NOT NULL DEFAULT false,
    lease_owner       text,
    lease_until       timestamptz
);

CREATE INDEX ix_log_streams_tenant ON log_streams (tenant, created_at);
