-- The rid index of the side rows (029) carries what a search or a count reads of them: the lower-case actor email, the
-- IP key and the personal free text. A search or count joins an events row to its side row on rid and reads the index
-- alone (one seek instead of the index, then the part's key), and a free-text term on the rows of the candidate blocks
-- reads the side rows of those rid ranges in one pass of the index (SqliteSearch's InRanges) instead of eight seeks of
-- the table per range: a month's free-text histogram on 1,000,000 split rows took ~190 ms p99 through the table
-- (bench/RESULTS.md, session 14). An erasure deletes or rewrites the index entry with the row. rid stays unique: the
-- side row is written in the transaction of its events row, whose key is the rid.
DROP INDEX ux_event_personal_rid;
CREATE INDEX ix_event_personal_rid ON event_personal (rid, email, ip, text);
