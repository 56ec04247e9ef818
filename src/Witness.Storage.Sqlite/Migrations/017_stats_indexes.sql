-- The time index also carries actor_id and actor_email (bench/RESULTS.md, "Stats from indexes"),
-- so every grouped scan of GET /v1/events/stats (slots, types, actions, top actors and IPs of a
-- range, and a target's events joined on (tenant_id, occurred_at, seq)) reads only the index and
-- never the events' 1.4 KB rows. Its leading columns are unchanged, so searches read it as before,
-- and it grows at its end like the table, so the append pays a few bytes an event for it. An IP
-- index and a wider actor index were measured and left out: they more than doubled the insert cost.
DROP INDEX ix_events_time;
CREATE INDEX ix_events_time ON events (tenant_id, occurred_at, seq, type, outcome, category, action, ip, actor_id, actor_email);
PRAGMA analysis_limit=1000;
ANALYZE events;
