-- Dropping months takes the top lists' day-count lock of every tenant (KeyDayTenantLock, 23024, the tenant id) exclusively,
-- as a purge or an erasure takes its tenant's, before it touches anything: a fill under way (which holds its tenant's lock
-- shared) commits first and its days are forgotten below, and no fill that read a month's events before the drop can write
-- its counts after the drop forgot them. The locks are taken once, in tenant order, before any row or table lock, so a
-- fill (one tenant lock at a time) never waits for the drop while holding what the drop waits for.
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
