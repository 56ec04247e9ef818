-- The email addresses the values at catalog-marked personal paths hold (docs/erasure.md), lower-case, written with
-- the event's event_ids row (NULL for most events, which have no marked paths): an erasure by email finds another
-- actor's events that hold the address through the partial GIN index without scanning the tenant. Kept in event_ids
-- so that retention purges, dropped months and tenant deletion remove them with the row.
ALTER TABLE event_ids ADD COLUMN marked_emails text[];
CREATE INDEX ix_event_ids_marked_emails ON event_ids USING gin (marked_emails) WHERE marked_emails IS NOT NULL;
