-- Action catalog entries set through the API, a catalog file or a preset. layer is the tenant's
-- name, or '' for the global layer every tenant sees (no tenant can be named '', and NULL would not
-- be unique in a key).
CREATE TABLE catalog_entries (
    layer        text COLLATE "C" NOT NULL,
    action       text COLLATE "C" NOT NULL,
    category     text NOT NULL,
    type         text NOT NULL,
    crud         text NOT NULL,
    template     text NOT NULL,
    description  text NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (layer, action)
);

-- Grows in the same transaction as every write to catalog_entries, so each instance re-reads the
-- catalog only when some instance changed it.
CREATE TABLE catalog_version (
    id       integer PRIMARY KEY CHECK (id = 1),
    version  bigint NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);
