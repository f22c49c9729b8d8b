-- min_reader: 1
-- Sign-in factors. Secrets are stored as hashes where only comparison is needed (passwords,
-- recovery codes); a TOTP secret must be read back to compute codes, and is envelope-encrypted
-- with Vault's transit key once the Vault issue lands.

CREATE TABLE totp_factors (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret bytea NOT NULL,
    -- The last accepted time step: a code is accepted only for a later step, so never twice.
    last_step bigint,
    confirmed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE password_factors (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
