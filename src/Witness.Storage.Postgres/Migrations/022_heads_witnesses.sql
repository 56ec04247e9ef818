-- Witnessing state shared by every instance on the database (HeadsCosigner, docs/witnessing.md): each witness's
-- cosignature/v1 line per heads checkpoint (heads_checkpoints.cosigned_note is the note with every line kept
-- for its size), and what each witness last did, so a restart or another instance starts from it.
CREATE TABLE heads_cosignatures (
    size    bigint NOT NULL,
    witness text NOT NULL,
    line    text NOT NULL,
    at      timestamptz NOT NULL,
    PRIMARY KEY (size, witness)
);

CREATE TABLE heads_witnesses (
    witness       text PRIMARY KEY,
    known_size    bigint NOT NULL,
    cosigned_size bigint NOT NULL DEFAULT 0,
    cosigned_at   timestamptz,
    problem       text,
    refused       boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL
);
