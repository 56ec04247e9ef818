-- The email addresses the values at catalog-marked personal paths hold (docs/erasure.md), one row per event and
-- address, written with the event: an erasure by email finds another actor's events that hold the address without
-- scanning the tenant. Most events have no marked paths and no row. Rows go when their event's values are erased,
-- when retention purges the event and when the tenant is deleted.
CREATE TABLE marked_emails (
    tenant_id INTEGER NOT NULL,
    email     TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, email, seq)
) WITHOUT ROWID;
