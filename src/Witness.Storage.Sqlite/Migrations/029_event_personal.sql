-- Split rows (docs/erasure.md, "How it is stored"): events appended from now on keep their MASKED BODY (each personal
-- value written "[erased]") in events.body and the shape of their personal record (PersonalSplit, kind byte with 0x40:
-- where each mark sits and the value's commitment) in events.personal; their personal values,
-- salts, lower-case actor email, IP key and the free text of their personal values live in event_personal, one row
-- per event. actor_email and ip of such an event row are NULL and its search_text holds only the public text, so an
-- erasure deletes or rewrites event_personal rows and never writes an events row. No row: every personal value of the
-- event is erased. Rows stored before this migration keep their layout and their code paths.
--
-- The rows are kept in eight parts by subject (subject: 'i:' || actor id, or 'e:' || the lower-case email of an event
-- without one, or ''; bucket: witness_subject_bucket(subject), FNV-1a modulo 8, a function the store registers), in rid
-- order within a part. Appends add to the end of eight runs of pages (a table in subject order took ~400 places per
-- group commit and halved ingest; bench/RESULTS.md); an erasure reads and dirties one part, not every page of the table
-- (erasing a subject in every tenth of 1,000,000 events: ~1/8 of the table instead of all of it). Readers find an
-- event's row through ux_event_personal_rid. marked: the event has catalog-marked paths (its shape's 0x80).
CREATE TABLE event_personal (
    tenant_id  INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    rid        INTEGER NOT NULL,
    subject    TEXT    NOT NULL,
    marked     INTEGER NOT NULL,
    email      TEXT,
    ip         BLOB,
    text       TEXT    NOT NULL,
    record     BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, bucket, rid)
) WITHOUT ROWID;

CREATE UNIQUE INDEX ux_event_personal_rid ON event_personal (rid);

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
