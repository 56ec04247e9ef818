-- Counts by IP address for the histograms of IP filters of GET /v1/events/stats and the console (IpSlotCounts):
-- per tenant, UTC day, bits (128: the address's own 16-byte key; 120: the key of its block, the last byte zero, an
-- IPv4 /24), key, and quarter-hour slot and type (ip_slot_counts) or type and action (ip_action_counts), how many
-- events and failures. Appends do not write them: they are filled with the top lists' day counts (023), for the same
-- closed days in the same transaction, read while key_count_days says the day can be, and forgotten with it.
-- The primary keys carry the counts, so that a read is an index-only scan. Not partitioned, like event_counts.
CREATE TABLE ip_slot_counts (
    tenant_id  bigint NOT NULL,
    day        bigint NOT NULL,
    bits       smallint NOT NULL,
    ip         bytea NOT NULL,
    slot       bigint NOT NULL,
    type       text COLLATE "C" NOT NULL,
    events     bigint NOT NULL,
    failures   bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, bits, ip, slot, type) INCLUDE (events, failures)
);

CREATE TABLE ip_action_counts (
    tenant_id  bigint NOT NULL,
    day        bigint NOT NULL,
    bits       smallint NOT NULL,
    ip         bytea NOT NULL,
    type       text COLLATE "C" NOT NULL,
    action     text COLLATE "C" NOT NULL,
    events     bigint NOT NULL,
    failures   bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, bits, ip, type, action) INCLUDE (events, failures)
);

-- The days filled before these tables existed have no counts by IP: they are forgotten and filled again.
DELETE FROM key_count_days;
DELETE FROM actor_day_counts;
DELETE FROM ip_day_counts;

-- Dropping months forgets the filled days' counts by IP with the other day counts (as in 027, under the same locks).
CREATE OR REPLACE FUNCTION witness_drop_event_partitions(ending_before timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' AS $$
DECLARE
    month record;
    dropped integer := 0;
    locked boolean := false;
    kept text;
BEGIN
    PERFORM pg_advisory_xact_lock(8386219411112270593);
    FOR month IN
        SELECT c.relname AS name, substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass
    LOOP
        IF month.upper_bound <= ending_before THEN
            IF NOT locked THEN
                PERFORM pg_advisory_xact_lock(23024, t.id::integer) FROM (SELECT id FROM tenants ORDER BY id OFFSET 0) t;
                locked := true;
            END IF;
            EXECUTE format('DELETE FROM event_ids ids USING %I e WHERE ids.tenant_id = e.tenant_id AND ids.seq = e.seq', month.name);
            EXECUTE format(
                'UPDATE event_counts c SET events = c.events - d.n FROM ('
                || 'SELECT tenant_id, floor(extract(epoch FROM occurred_at) / 900)::bigint AS slot, type, action, outcome, coalesce(category, %L) AS category, count(*) AS n '
                || 'FROM %I GROUP BY 1, 2, 3, 4, 5, 6) d '
                || 'WHERE c.tenant_id = d.tenant_id AND c.slot = d.slot AND c.type = d.type AND c.action = d.action AND c.outcome = d.outcome AND c.category = d.category',
                '', month.name);
            FOREACH kept IN ARRAY ARRAY['key_count_days', 'actor_day_counts', 'ip_day_counts', 'ip_slot_counts', 'ip_action_counts'] LOOP
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
