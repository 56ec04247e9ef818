-- Witnessing state shared by every process on the store (HeadsCosigner, docs/witnessing.md): each witness's
-- cosignature/v1 line per heads checkpoint (heads_checkpoints.cosigned_note is the note with every line kept
-- for its size), and what each witness last did, so a restart or another instance starts from it.
CREATE TABLE heads_cosignatures (
    size    INTEGER NOT NULL,
    witness TEXT NOT NULL,
    line    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (size, witness)
) WITHOUT ROWID;

CREATE TABLE heads_witnesses (
    witness       TEXT PRIMARY KEY,
    known_size    INTEGER NOT NULL,
    cosigned_size INTEGER NOT NULL DEFAULT 0,
    cosigned_at   INTEGER,
    problem       TEXT,
    refused       INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);
