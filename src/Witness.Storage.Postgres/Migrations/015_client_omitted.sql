-- Which fields the client left out of each event (Witness.Events.ClientOmitted: 1 occurred_at, 2 type,
-- 4 category, 8 description), beside content_digest, so that verification can recompute the digest from
-- the stored body. NULL for events stored before this migration: their digest is not checked.
ALTER TABLE event_ids ADD COLUMN client_omitted smallint;
