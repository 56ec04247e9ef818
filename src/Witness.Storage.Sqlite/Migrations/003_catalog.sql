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
