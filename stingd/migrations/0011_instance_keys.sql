-- min_reader: 1
-- Keys every stingd of one installation shares and keeps across restarts, made by the first
-- that needs one. Not secrets that protect data: the passkey decoy key only keeps an unknown
-- address's decoy credentials the same on every replica and after every restart.

CREATE TABLE instance_keys (
    name text PRIMARY KEY,
    key bytea NOT NULL CHECK (octet_length(key) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
