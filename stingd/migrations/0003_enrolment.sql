-- min_reader: 1
-- One-time links that let a new account register its first factor (the first admin's works
-- without any mail server: `stingd admin create` prints it).

CREATE TABLE enrolment_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
