-- Pre-aggregated counts for GET /v1/events/stats (EventCountSlots): how many of a tenant's events
-- fall in each UTC quarter hour of occurred_at (slot = floor(epoch seconds / 900)) with each type,
-- action, outcome and category ('' when the event has none). Appends add to them in their own
-- transaction (under the tenant's head lock), retention purges and tenant deletion take away, so a
-- histogram or a list of actions over a month reads a few thousand rows instead of every event.
-- Not partitioned: a row holds events received in any month.
CREATE TABLE event_counts (
    tenant_id  bigint NOT NULL,
    slot       bigint NOT NULL,
    type       text COLLATE "C" NOT NULL,
    action     text COLLATE "C" NOT NULL,
    outcome    text COLLATE "C" NOT NULL,
    category   text COLLATE "C" NOT NULL,
    events     bigint NOT NULL,
    PRIMARY KEY (tenant_id, slot, type, action, outcome, category)
);

INSERT INTO event_counts (tenant_id, slot, type, action, outcome, category, events)
SELECT tenant_id, floor(extract(epoch FROM occurred_at) / 900)::bigint, type, action, outcome, coalesce(category, ''), count(*)
FROM events
GROUP BY 1, 2, 3, 4, 5, 6;

-- Dropping months whatever they hold takes their events out of the counts first.
CREATE OR REPLACE FUNCTION witness_drop_event_partitions(ending_before timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' AS $$
DECLARE
    month record;
    dropped integer := 0;
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
