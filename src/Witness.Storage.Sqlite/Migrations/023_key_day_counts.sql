-- Per-day counts of actors and IP addresses for the top lists of GET /v1/events/stats and the console
-- (KeyDayCounts): per tenant, UTC day of occurred_at (floor(occurred_at / 86,400 s)), type (every console
-- tab filters by it) and actor (actor_id, else actor_email) or ip, how many events and failures. Appends do
-- not write them: a count fills a closed day the first time it needs it and records in key_count_days how
-- many events the day held then; the day is read only while event_counts still holds that many for it.
-- Retention purges and erasure forget the days they touch; tenant deletion removes them.
CREATE TABLE key_count_days (
    tenant_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    events     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
) WITHOUT ROWID;

CREATE TABLE actor_day_counts (
    tenant_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    events     INTEGER NOT NULL,
    failures   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, type, actor)
) WITHOUT ROWID;

CREATE TABLE ip_day_counts (
    tenant_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    ip         BLOB    NOT NULL,
    events     INTEGER NOT NULL,
    failures   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, type, ip)
) WITHOUT ROWID;
