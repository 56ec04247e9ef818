-- Revoked API keys stay listed but never authenticate; the session stamp ends a user's sessions
-- when it changes (sign-out, new password); failed sign-ins are counted per account and address,
-- shared by every instance.
ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz;
ALTER TABLE console_users ADD COLUMN session_stamp text NOT NULL DEFAULT '';
CREATE TABLE sign_in_failures (
    throttle_key  text COLLATE "C" PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    failures      integer NOT NULL
);
