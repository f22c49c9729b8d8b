-- min_reader: 1
-- Second-factor guesses are counted per account, wherever they come from: after a few wrong
-- codes in a row the account's second factor is locked for a while, longer each time, and a
-- right code resets the count. And a new TOTP secret waits in `pending_secret` until a code
-- confirms it, so setting up a new phone never disables the working one.

CREATE TABLE second_factor_failures (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures integer NOT NULL DEFAULT 0,
    locked_until timestamptz
);

ALTER TABLE totp_factors ADD COLUMN pending_secret bytea;
