-- Split rows (docs/erasure.md, "How it is stored"): events appended from now on keep their LEAF in events.body and
-- the shape of their personal record (PersonalSplit, kind byte with 0x40) in events.personal; their personal values,
-- salts, lower-case actor email, IP key and the free text of their personal values live in event_personal, one row
-- per event (rid = the event's rid, so rows are appended in rid order). actor_email and ip of such an event row are
-- NULL and its search_text holds only the public text, so an erasure deletes or rewrites an event_personal row and
-- never writes an events row. No row: every personal value of the event is erased. Rows stored before this
-- migration keep their layout and their code paths.
CREATE TABLE event_personal (
    rid     INTEGER PRIMARY KEY,
    email   TEXT,
    ip      BLOB,
    text    TEXT NOT NULL,
    record  BLOB NOT NULL
);

-- Free-text blocks holding events whose personal values were erased since the block was written: their trigram
-- documents may still hold keys of the erased values (never the values). They are written again from the events'
-- text as it reads now, in batches, by the server's loop and by `witness erase`; a search stays exact meanwhile,
-- since candidates are checked against the rows.
CREATE TABLE stale_text_blocks (
    block_id   INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL
);

-- The last seq of each tenant's log stored in the old layout: only rows up to it can hold personal values in the
-- events row itself, so the erasure, the email index and purges look for such rows in that range only.
CREATE TABLE unsplit_logs (
    tenant_id     INTEGER PRIMARY KEY,
    through_seq   INTEGER NOT NULL
);

INSERT INTO unsplit_logs (tenant_id, through_seq) SELECT id, log_size FROM tenants WHERE log_size > 0;
