-- Counts by IP address for the histograms of IP filters of GET /v1/events/stats and the console (IpSlotCounts):
-- per tenant, UTC day, bits (128: the address's own 16-byte key; 120: the key of its block, the last byte zero, an
-- IPv4 /24), key, and quarter-hour slot and type (ip_slot_counts) or type and action (ip_action_counts), how many
-- events and failures. Appends do not write them: they are filled with the top lists' day counts (023), for the same
-- closed days in the same transaction, read while key_count_days says the day can be, and forgotten with it.
CREATE TABLE ip_slot_counts (
    tenant_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    bits       INTEGER NOT NULL,
    ip         BLOB    NOT NULL,
    slot       INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    events     INTEGER NOT NULL,
    failures   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, bits, ip, slot, type)
) WITHOUT ROWID;

CREATE TABLE ip_action_counts (
    tenant_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    bits       INTEGER NOT NULL,
    ip         BLOB    NOT NULL,
    type       TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    events     INTEGER NOT NULL,
    failures   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, bits, ip, type, action)
) WITHOUT ROWID;

-- The days filled before these tables existed have no counts by IP: they are forgotten and filled again.
DELETE FROM key_count_days;
DELETE FROM actor_day_counts;
DELETE FROM ip_day_counts;
