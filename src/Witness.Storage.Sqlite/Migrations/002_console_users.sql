-- Local accounts of the web console. tenant NULL is a platform administrator, who sees every tenant.
-- Only the PBKDF2-HMAC-SHA256 hash of a password is kept, with its salt and iteration count.
CREATE TABLE console_users (
    id                  TEXT    PRIMARY KEY,
    email               TEXT    NOT NULL UNIQUE,
    name                TEXT,
    tenant              TEXT,
    role                TEXT    NOT NULL,
    password_salt       BLOB    NOT NULL,
    password_hash       BLOB    NOT NULL,
    password_iterations INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);
