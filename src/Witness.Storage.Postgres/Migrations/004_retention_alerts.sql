-- Retention: events 1 to purged_through of a tenant's log are purged (a multiple of 256), and the
-- purges up to recorded_through are recorded in the log as log.purge events.
CREATE TABLE retention_state (
    tenant_id         bigint PRIMARY KEY,
    purged_through    bigint NOT NULL,
    recorded_through  bigint NOT NULL
);

-- The 256 leaf hashes (32 bytes each, in seq order) of a purged block in which a signed checkpoint
-- ends, so consistency proofs from that checkpoint still work. Other purged blocks keep only their
-- level-8 node in merkle_nodes.
CREATE TABLE purged_leaf_blocks (
    tenant_id  bigint NOT NULL,
    block      bigint NOT NULL,
    hashes     bytea NOT NULL,
    PRIMARY KEY (tenant_id, block)
);

CREATE TABLE alert_rules (
    id              text COLLATE "C" PRIMARY KEY,
    tenant          text COLLATE "C" NOT NULL,
    name            text NOT NULL,
    kind            text NOT NULL,
    query           text NOT NULL,
    threshold       integer,
    window_minutes  integer,
    group_by        text,
    dimension       text,
    enabled         boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX ix_alert_rules_tenant ON alert_rules (tenant, created_at);

-- What each first-seen rule has seen: one row per (actor, IP or country).
CREATE TABLE alert_seen (
    rule_id  text COLLATE "C" NOT NULL,
    actor    text COLLATE "C" NOT NULL,
    value    text COLLATE "C" NOT NULL,
    PRIMARY KEY (rule_id, actor, value)
);

-- How far each tenant's log has been evaluated against its alert rules.
CREATE TABLE alert_cursors (
    tenant  text COLLATE "C" PRIMARY KEY,
    seq     bigint NOT NULL
);

CREATE TABLE webhooks (
    id           text COLLATE "C" PRIMARY KEY,
    tenant       text COLLATE "C" NOT NULL,
    url          text NOT NULL,
    secret       text NOT NULL,
    event_types  text NOT NULL,
    enabled      boolean NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE INDEX ix_webhooks_tenant ON webhooks (tenant, created_at);

-- The durable delivery queue and its history. A pending delivery is due at next_attempt_at; while a
-- worker holds it, next_attempt_at is the end of the worker's lease.
CREATE TABLE webhook_deliveries (
    id               text COLLATE "C" PRIMARY KEY,
    webhook_id       text COLLATE "C" NOT NULL,
    tenant           text COLLATE "C" NOT NULL,
    message_id       text NOT NULL,
    event_type       text NOT NULL,
    payload          bytea NOT NULL,
    status           text NOT NULL,
    attempts         integer NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL,
    completed_at     timestamptz
);

CREATE INDEX ix_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ix_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);

-- Drops the month partitions of events and event_targets that end at or before the given time and
-- hold no row of any tenant: retention deletes each tenant's expired events, and a month emptied
-- that way is dropped instead of waiting for vacuum. A month that still holds some tenant's events
-- stays. Gives up (returning what it dropped so far) rather than queue behind long readers: dropping
-- a partition locks its parent, and appends would wait behind the drop. Returns the months dropped.
CREATE FUNCTION witness_drop_empty_event_partitions(ending_before timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' SET lock_timeout = '2s' AS $$
DECLARE
    month record;
    targets text;
    dropped integer := 0;
    has_rows boolean;
BEGIN
    PERFORM pg_advisory_xact_lock(8386219411112270593);
    FOR month IN
        SELECT c.relname AS name, substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass
    LOOP
        CONTINUE WHEN month.upper_bound > ending_before;
        BEGIN
            targets := replace(month.name, 'events_', 'event_targets_');
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', month.name) INTO has_rows;
            CONTINUE WHEN has_rows;
            IF to_regclass(targets) IS NOT NULL THEN
                EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', targets) INTO has_rows;
                CONTINUE WHEN has_rows;
                EXECUTE format('DROP TABLE %I', targets);
            END IF;
            EXECUTE format('DROP TABLE %I', month.name);
            dropped := dropped + 1;
        EXCEPTION WHEN lock_not_available THEN
            NULL; -- busy now; a later purge tries again
        END;
    END LOOP;
    RETURN dropped;
END
$$;

REVOKE ALL ON FUNCTION witness_drop_empty_event_partitions(timestamptz) FROM PUBLIC;
