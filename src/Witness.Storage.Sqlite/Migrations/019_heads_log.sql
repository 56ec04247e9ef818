-- The heads log (HeadsLog): one log of every tenant checkpoint, entry = SHA-256 of the checkpoint body.
-- A checkpoint is signed after every append and keeps the frontier the next append continues from;
-- cosigned_note is that note with the witnesses' cosignature/v1 lines (docs/witnessing.md).
CREATE TABLE heads_entries (
    idx       INTEGER PRIMARY KEY,
    entry     BLOB NOT NULL UNIQUE,
    leaf_hash BLOB NOT NULL
);

CREATE TABLE heads_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE heads_checkpoints (
    size          INTEGER PRIMARY KEY,
    root          BLOB NOT NULL,
    note          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    frontier      BLOB NOT NULL,
    cosigned_note TEXT,
    witnesses     INTEGER NOT NULL DEFAULT 0,
    cosigned_at   INTEGER
);
