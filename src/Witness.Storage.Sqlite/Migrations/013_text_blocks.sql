-- Free text through an index over blocks of events, not events (bench/RESULTS.md: a per-event FTS5
-- trigram index cost 5–6 times the CPU of the whole append). A block is up to a few hundred
-- consecutive events of one tenant appended in one transaction; its document is the distinct
-- trigrams of their search text (Witness.Search.TextTrigrams, as hex tokens) and a token for the
-- tenant. A search ANDs its terms' trigrams here, then reads and checks the rows of the candidate
-- blocks (rid ranges) as the scan would.
CREATE VIRTUAL TABLE text_block_terms USING fts5(trigrams, content='', contentless_delete=1, detail=none, tokenize='ascii');

CREATE TABLE text_blocks (
    block_id      INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL,
    first_seq     INTEGER NOT NULL,
    last_seq      INTEGER NOT NULL,
    min_occurred  INTEGER NOT NULL,
    max_occurred  INTEGER NOT NULL
);

CREATE INDEX ix_text_blocks_tenant ON text_blocks (tenant_id, last_seq);

-- Events stored before this migration, not yet in any block: seqs [next_seq, end_seq) of a tenant.
-- The store indexes them at start; until then a search reads them as a scan would.
CREATE TABLE text_backlog (
    tenant_id  INTEGER PRIMARY KEY,
    next_seq   INTEGER NOT NULL,
    end_seq    INTEGER NOT NULL
);

INSERT INTO text_backlog (tenant_id, next_seq, end_seq)
SELECT id, 1, log_size + 1 FROM tenants WHERE log_size > 0;
