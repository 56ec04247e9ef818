-- Local accounts of the web console. tenant NULL is a platform administrator, who sees every tenant.
-- Only the PBKDF2-HMAC-SHA256 hash of a password is kept, with its salt and iteration count. Emails
-- are stored lower-case, so the unique key is case-insensitive for every caller.
CREATE TABLE console_users (
    id                   text COLLATE "C" PRIMARY KEY,
    email                text COLLATE "C" NOT NULL UNIQUE,
    name                 text,
    tenant               text COLLATE "C",
    role                 text NOT NULL,
    password_salt        bytea NOT NULL,
    password_hash        bytea NOT NULL,
    password_iterations  integer NOT NULL,
    created_at           timestamptz NOT NULL
);
