-- Free text: an FTS5 trigram index of events.search_text, so a word or phrase is looked up instead of
-- scanned for (1.24 s for a word that matched nothing in 1,000,000 events).
--
-- Trigram, not unicode61: search matches a term anywhere in the text ('berl' finds Berlin, 'gin' finds
-- login), and only trigrams can find a substring. The index only narrows the rows: search still checks
-- each candidate with instr(search_text, term), so a term means exactly what it meant before.
-- - case_sensitive 1: search_text and the terms are lower-cased by Witness already (EventIndexKeys),
--   so SQLite's own folding could only disagree with it.
-- - detail=none: no positions, about a third of the index; a term becomes the AND of its trigrams,
--   a superset that instr settles.
-- - contentless (content=''), with contentless_delete: the text stays in events only, and a retention
--   purge deletes index rows by rowid.
-- The rowid is the event's rid, so a tenant's entries are one rowid range. The triggers keep the index
-- in the transaction that writes or purges the events.
CREATE VIRTUAL TABLE events_text USING fts5(
    search_text,
    tokenize = 'trigram case_sensitive 1',
    detail = none,
    content = '',
    contentless_delete = 1
);

INSERT INTO events_text (rowid, search_text) SELECT rid, search_text FROM events ORDER BY rid;

CREATE TRIGGER events_text_insert AFTER INSERT ON events
BEGIN
    INSERT INTO events_text (rowid, search_text) VALUES (new.rid, new.search_text);
END;

CREATE TRIGGER events_text_delete AFTER DELETE ON events
BEGIN
    DELETE FROM events_text WHERE rowid = old.rid;
END;
