-- Action catalog entries set through the API, a catalog file or a preset. layer is the tenant's
-- name, or '' for the global layer every tenant sees (no tenant can be named '').
CREATE TABLE catalog_entries (
    layer        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    crud         TEXT    NOT NULL,
    template     TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (layer, action)
) WITHOUT ROWID;

-- Grows with every write to catalog_entries, so an instance re-reads the catalog only when it changed.
CREATE TABLE catalog_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);
