-- Split rows (issue 20, docs/erasure.md): a new event's personal values live beside its events row, not in it. The
-- events row holds the masked body (each personal value written "[erased]") in body, the shape (PersonalSplit:
-- where each mark sits and the value's commitment, no value) in personal, NULL actor_email and ip, and the public search text; the values,
-- their salts, the lower-cased actor email, the IP key and the personal search text are one event_personal row. An
-- erasure deletes or rewrites that row and never writes an events row: the masked body, the events heap and its indexes stay
-- as they are. No row: every personal value of the event is erased. Rows stored before keep their values in the
-- events row and are read and erased as before.
--
-- Not partitioned, like event_ids: readers join it on (tenant_id, seq), one probe of one key (a partitioned table
-- would need received_at in every join, and an erasure found by email or actor id would probe every month). Its rows
-- leave with their events the way event_ids rows do: a retention purge deletes the purged seq range, a dropped month
-- deletes the rows of the month's events before the partition is dropped (witness_drop_event_partitions below), a
-- deleted tenant deletes all of its rows. A deleted or rewritten row leaves its old version in the table file until
-- VACUUM reclaims it, as an erasure of an events row did before (docs/erasure.md).
CREATE TABLE event_personal (
    tenant_id    bigint NOT NULL,
    seq          bigint NOT NULL,
    -- The events row's partition key and actor id: an erasure found by email or actor id reaches the events rows
    -- (for their masked body and shape) through their key, one month each.
    received_at  timestamptz NOT NULL,
    -- The search order: a search for an actor's email reads the email index in this order, as ix_events_email is read.
    occurred_at  timestamptz NOT NULL,
    actor_id     text COLLATE "C",
    email        text COLLATE "C",
    ip           bytea,
    text         text COLLATE "C" NOT NULL,
    record       bytea NOT NULL,
    -- Whether the event has catalog-marked values or a rendered description (its shape's Marked bit). A row without:
    -- every value is a built-in one, so erasing them all leaves nothing to keep, and such rows are deleted by the
    -- database alone (DELETE ... WHERE email = ... AND NOT marked), never read. The others go through PersonalSplit.Erase.
    marked       boolean NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
-- A search for an actor's email (in search order, like ix_events_email for the rows stored before); the erasure's
-- lookups by email (with the actor ids seen with it, read from the index alone) and by actor id; and whether a tenant
-- has rows with marked values at all (most have none, and their erasure reads no row).
CREATE INDEX ix_event_personal_email ON event_personal (tenant_id, email, occurred_at, seq) INCLUDE (actor_id) WHERE email IS NOT NULL;
CREATE INDEX ix_event_personal_actor ON event_personal (tenant_id, actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX ix_event_personal_marked ON event_personal (tenant_id, seq) WHERE marked;

-- Where each tenant's split rows start: every row appended from now on with a personal value is split, so the rows stored
-- before (values in the events row) are those below this seq. An erasure reads the rows stored before only there, instead
-- of reading each split row of the subject from the events heap to tell it apart. No row: the tenant has none before.
CREATE TABLE split_rows_from (
    tenant_id  bigint PRIMARY KEY,
    seq        bigint NOT NULL
);
INSERT INTO split_rows_from (tenant_id, seq) SELECT id, log_size + 1 FROM tenants WHERE log_size > 0;

-- An events row with its personal values filled back in, as every search, count and reader sees it: the email, the
-- IP and the free text of a split row come from its event_personal row (NULL and the public text alone once erased),
-- those of a row stored before from the row itself. personal_values is the values record PersonalSplit.Join takes.
-- A query that reads none of the personal columns does not join at all (the join is on event_personal's key).
CREATE VIEW events_joined AS
SELECT e.tenant_id, e.seq, e.received_at, e.occurred_at, e.event_id, e.type, e.action, e.category, e.outcome, e.actor_id,
       coalesce(e.actor_email, p.email) AS actor_email,
       coalesce(e.ip, p.ip) AS ip,
       CASE WHEN p.text IS NULL THEN e.search_text ELSE e.search_text || p.text END AS search_text,
       e.hash, e.body, e.personal, p.record AS personal_values, e.search_text AS public_text, p.text AS personal_text
FROM events e
LEFT JOIN event_personal p ON p.tenant_id = e.tenant_id AND p.seq = e.seq;

-- The free-text blocks holding events an erasure changed (IStaleTextBlockStore): rebuilt from the text as it is now by the server's loop (and
-- by `witness erase` when no server runs), a batch of blocks per transaction, instead of inside the erasure. Until then
-- a stale block's trigrams still hold keys derived from erased values (never the values); searches stay exact, since
-- every candidate is checked against the text itself.
CREATE TABLE text_blocks_stale (
    tenant_id  bigint NOT NULL,
    block_id   bigint NOT NULL,
    PRIMARY KEY (tenant_id, block_id)
);

-- 028's function (027's with the counts by IP), and the split rows of the month's events deleted beside their event_ids rows.
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
            EXECUTE format('DELETE FROM event_personal p USING %I e WHERE p.tenant_id = e.tenant_id AND p.seq = e.seq', month.name);
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
