-- The heads log (HeadsLog): one log of every tenant checkpoint, entry = SHA-256 of the checkpoint body.
-- A checkpoint is signed after every append and keeps the frontier the next append continues from;
-- cosigned_note is that note with the witnesses' cosignature/v1 lines (docs/witnessing.md).
-- Appends from every instance are serialized by a transaction-scoped advisory lock (PostgresStore.Heads).
CREATE TABLE heads_entries (
    idx       bigint PRIMARY KEY,
    entry     bytea NOT NULL UNIQUE,
    leaf_hash bytea NOT NULL
);

CREATE TABLE heads_nodes (
    level integer NOT NULL,
    idx   bigint NOT NULL,
    hash  bytea NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE heads_checkpoints (
    size          bigint PRIMARY KEY,
    root          bytea NOT NULL,
    note          text NOT NULL,
    created_at    timestamptz NOT NULL,
    frontier      bytea NOT NULL,
    cosigned_note text,
    witnesses     integer NOT NULL DEFAULT 0,
    cosigned_at   timestamptz
);
