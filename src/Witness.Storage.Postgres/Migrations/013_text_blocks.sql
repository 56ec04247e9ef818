-- Free text through an index over blocks of events, not events (bench/RESULTS.md). A block is up to
-- a few hundred consecutive events of one tenant appended in one transaction: the distinct trigrams
-- of their search text (Witness.Search.TextTrigrams) and one negative element for the tenant, in a
-- GIN-indexed int array. A search asks for blocks holding every trigram of its terms (@>), then
-- reads and checks their rows by seq range as the scan would.
CREATE TABLE text_blocks (
    block_id      bigserial PRIMARY KEY,
    tenant_id     bigint NOT NULL,
    first_seq     bigint NOT NULL,
    last_seq      bigint NOT NULL,
    min_occurred  timestamptz NOT NULL,
    max_occurred  timestamptz NOT NULL,
    trigrams      integer[] NOT NULL
);

CREATE INDEX gx_text_blocks ON text_blocks USING gin (trigrams);
CREATE INDEX ix_text_blocks_tenant ON text_blocks (tenant_id, last_seq);

-- Events stored before this migration, not yet in any block: seqs [next_seq, end_seq) of a tenant.
-- The store indexes them at start; until then a search reads them as a scan would.
CREATE TABLE text_backlog (
    tenant_id  bigint PRIMARY KEY,
    next_seq   bigint NOT NULL,
    end_seq    bigint NOT NULL
);

INSERT INTO text_backlog (tenant_id, next_seq, end_seq)
SELECT id, 1, log_size + 1 FROM tenants WHERE log_size > 0;
