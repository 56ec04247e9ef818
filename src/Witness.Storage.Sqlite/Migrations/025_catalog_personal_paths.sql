-- The paths a catalog entry marks personal for its action (ActionDefinition.Personal, docs/erasure.md), one
-- per line; NULL when it marks none.
ALTER TABLE catalog_entries ADD COLUMN personal TEXT;
