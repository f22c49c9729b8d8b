-- min_reader: 1
-- Passwordless sign-in links sent by email: single use, short-lived, stored hashed.

CREATE TABLE magic_links (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX magic_links_user ON magic_links (user_id, created_at);
