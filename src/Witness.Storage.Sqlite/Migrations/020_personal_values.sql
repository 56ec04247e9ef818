-- Leaf version 2 (docs/erasure.md): each event's personal record, kept beside its body and off its leaf.
-- 0x01 + one 16-byte salt per personal value of the body (the leaf holds SHA-256(salt || value)), or,
-- once the subject is erased, 0x02 + the 32-byte commitments. NULL: the leaf is the body (version 1,
-- or an event without personal values).
ALTER TABLE events ADD COLUMN personal BLOB;

-- Personal values older than this many days (by received_at) are erased automatically; NULL: kept as long as the events.
ALTER TABLE tenant_settings ADD COLUMN personal_data_days INTEGER;
