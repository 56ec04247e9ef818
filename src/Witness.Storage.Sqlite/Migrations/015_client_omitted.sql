-- Which fields the client left out of each event (Witness.Events.ClientOmitted: 1 occurred_at, 2 type,
-- 4 category, 8 description), so that verification can recompute content_digest from the stored body.
-- NULL for events stored before this migration: their digest is not checked.
ALTER TABLE events ADD COLUMN client_omitted INTEGER;
