-- min_reader: 1
-- Honey Jars and who may use them. Every query that touches a jar, or later its documents and
-- chunks, goes through jar_permissions(), so access is decided in the database, once.

CREATE TABLE honey_jars (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX honey_jars_owner_name ON honey_jars (owner_id, lower(name));

-- A share names exactly one of: a user, a role, or everyone signed in.
CREATE TABLE honey_jar_shares (
    jar_id uuid NOT NULL REFERENCES honey_jars (id) ON DELETE CASCADE,
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    role text CHECK (role IN ('admin', 'moderator', 'user', 'viewer')),
    everyone boolean NOT NULL DEFAULT false,
    permission text NOT NULL CHECK (permission IN ('read', 'write')),
    CHECK ((user_id IS NOT NULL)::int + (role IS NOT NULL)::int + everyone::int = 1)
);
CREATE UNIQUE INDEX honey_jar_shares_user ON honey_jar_shares (jar_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX honey_jar_shares_role ON honey_jar_shares (jar_id, role) WHERE role IS NOT NULL;
CREATE UNIQUE INDEX honey_jar_shares_everyone ON honey_jar_shares (jar_id) WHERE everyone;
CREATE INDEX honey_jar_shares_by_user ON honey_jar_shares (user_id) WHERE user_id IS NOT NULL;

-- What a user may do with each jar they can reach: 'manage' (an elevated role at AAL2, or the
-- owner), 'write' or 'read' from shares; a viewer never more than 'read'. Jars they cannot
-- reach are not in the result at all.
CREATE FUNCTION jar_permissions(p_user uuid, p_role text, p_elevated boolean)
RETURNS TABLE (jar_id uuid, permission text)
LANGUAGE sql STABLE AS $$
    SELECT j.id,
           CASE
               WHEN p_elevated THEN 'manage'
               WHEN p_role = 'viewer' THEN 'read'
               WHEN j.owner_id = p_user THEN 'manage'
               ELSE max(s.permission)
           END
    FROM honey_jars j
    LEFT JOIN honey_jar_shares s
        ON s.jar_id = j.id AND (s.user_id = p_user OR s.role = p_role OR s.everyone)
    WHERE p_elevated OR j.owner_id = p_user OR s.jar_id IS NOT NULL
    GROUP BY j.id, j.owner_id
$$;
