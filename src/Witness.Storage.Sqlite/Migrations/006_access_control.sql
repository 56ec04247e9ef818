-- Revoked API keys stay listed but never authenticate; the session stamp ends a user's sessions
-- when it changes (sign-out, new password); failed sign-ins are counted per account and address.
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
ALTER TABLE console_users ADD COLUMN session_stamp TEXT NOT NULL DEFAULT '';
CREATE TABLE sign_in_failures (
    throttle_key  TEXT    PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    failures      INTEGER NOT NULL
);
