-- Pre-aggregated counts for GET /v1/events/stats (EventCountSlots): how many of a tenant's events
-- fall in each UTC quarter hour of occurred_at (slot = floor(occurred_at / 900 s)) with each type,
-- action, outcome and category ('' when the event has none). Appends add to them in their own
-- transaction, retention purges and tenant deletion take away, so a histogram or a list of actions
-- over a month reads a few thousand rows instead of every event.
CREATE TABLE event_counts (
    tenant_id  INTEGER NOT NULL,
    slot       INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    outcome    TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    events     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, slot, type, action, outcome, category)
) WITHOUT ROWID;

-- SQLite's integer division truncates towards zero; a slot rounds down, also before 1970.
INSERT INTO event_counts (tenant_id, slot, type, action, outcome, category, events)
SELECT tenant_id, (occurred_at / 900000000) - (occurred_at % 900000000 < 0), type, action, outcome, coalesce(category, ''), count(*)
FROM events
GROUP BY 1, 2, 3, 4, 5, 6;
