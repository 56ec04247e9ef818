-- The checkpoint signing keys of the store, oldest first (SigningKeyRegistry): the last one is current.
-- A key's endorsement is its successor's signature over it, so verification trusts it through the newer key.
CREATE TABLE signing_keys (
    position    integer PRIMARY KEY,
    key_id      text NOT NULL UNIQUE,
    public_key  text NOT NULL,
    valid_from  timestamptz NOT NULL,
    valid_until timestamptz,
    endorsement text
);
