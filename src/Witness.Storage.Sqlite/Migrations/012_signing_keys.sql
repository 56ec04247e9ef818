-- The checkpoint signing keys of the store, oldest first (SigningKeyRegistry): the last one is current.
-- A key's endorsement is its successor's signature over it, so verification trusts it through the newer key.
CREATE TABLE signing_keys (
    position    INTEGER PRIMARY KEY,
    key_id      TEXT NOT NULL UNIQUE,
    public_key  TEXT NOT NULL,
    valid_from  INTEGER NOT NULL,
    valid_until INTEGER,
    endorsement TEXT
);
