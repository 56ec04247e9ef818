-- Per-day counts of actors and IP addresses for the top lists of GET /v1/events/stats and the console
-- (KeyDayCounts): per tenant, UTC day of occurred_at (floor(epoch seconds / 86,400)), type (every console
-- tab filters by it) and actor (actor_id, else actor_email) or ip, how many events and failures. Appends do
-- not write them: a count fills a closed day the first time it needs it and records in key_count_days how
-- many events the day held then; the day is read only while event_counts still holds that many for it.
-- Retention purges, dropped months and erasure forget the days they touch; tenant deletion removes them.
-- Not partitioned, like event_counts.
CREATE TABLE key_count_days (
    tenant_id  bigint NOT NULL,
    day        bigint NOT NULL,
    events     bigint NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

CREATE TABLE actor_day_counts (
    tenant_id  bigint NOT NULL,
    day        bigint NOT NULL,
    type       text COLLATE "C" NOT NULL,
    actor      text COLLATE "C" NOT NULL,
    events     bigint NOT NULL,
    failures   bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, type, actor)
);

CREATE TABLE ip_day_counts (
    tenant_id  bigint NOT NULL,
    day        bigint NOT NULL,
    type       text COLLATE "C" NOT NULL,
    ip         bytea NOT NULL,
    events     bigint NOT NULL,
    failures   bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, type, ip)
);

-- Dropping months whatever they hold takes their events out of the counts and forgets the filled days they held first.
CREATE OR REPLACE FUNCTION witness_drop_event_partitions(ending_before timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' AS $$
DECLARE
    month record;
    dropped integer := 0;
    kept text;
BEGIN
    PERFORM pg_advisory_xact_lock(8386219411112270593);
    FOR month IN
        SELECT c.relname AS name, substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass
    LOOP
        IF month.upper_bound <= ending_before THEN
            EXECUTE format('DELETE FROM event_ids ids USING %I e WHERE ids.tenant_id = e.tenant_id AND ids.seq = e.seq', month.name);
            EXECUTE format(
                'UPDATE event_counts c SET events = c.events - d.n FROM ('
                || 'SELECT tenant_id, floor(extract(epoch FROM occurred_at) / 900)::bigint AS slot, type, action, outcome, coalesce(category, %L) AS category, count(*) AS n '
                || 'FROM %I GROUP BY 1, 2, 3, 4, 5, 6) d '
                || 'WHERE c.tenant_id = d.tenant_id AND c.slot = d.slot AND c.type = d.type AND c.action = d.action AND c.outcome = d.outcome AND c.category = d.category',
                '', month.name);
            FOREACH kept IN ARRAY ARRAY['key_count_days', 'actor_day_counts', 'ip_day_counts'] LOOP
                EXECUTE format(
                    'DELETE FROM %I k USING (SELECT DISTINCT tenant_id, floor(extract(epoch FROM occurred_at) / 86400)::bigint AS day FROM %I) d '
                    || 'WHERE k.tenant_id = d.tenant_id AND k.day = d.day',
                    kept, month.name);
            END LOOP;
            EXECUTE format('DROP TABLE %I', month.name);
            EXECUTE format('DROP TABLE IF EXISTS %I', replace(month.name, 'events_', 'event_targets_'));
            dropped := dropped + 1;
        END IF;
    END LOOP;
    IF dropped > 0 THEN
        DELETE FROM event_counts WHERE events <= 0;
    END IF;
    RETURN dropped;
END
$$;
