-- min_reader: 12
-- A jar can be shared with `manage` (what its owner may do: rename, share, delete), and the
-- permission a user gets from several shares is the highest by rank, not by spelling.
ALTER TABLE honey_jar_shares DROP CONSTRAINT honey_jar_shares_permission_check;
ALTER TABLE honey_jar_shares ADD CONSTRAINT honey_jar_shares_permission_check
    CHECK (permission IN ('read', 'write', 'manage'));

CREATE OR REPLACE FUNCTION jar_permissions(p_user uuid, p_role text, p_elevated boolean)
RETURNS TABLE (jar_id uuid, permission text)
LANGUAGE sql STABLE AS $$
    SELECT j.id,
           CASE
               WHEN p_elevated THEN 'manage'
               WHEN p_role = 'viewer' THEN 'read'
               WHEN j.owner_id = p_user THEN 'manage'
               ELSE (ARRAY['read', 'write', 'manage'])[max(array_position(ARRAY['read', 'write', 'manage'], s.permission))]
           END
    FROM honey_jars j
    LEFT JOIN honey_jar_shares s
        ON s.jar_id = j.id AND (s.user_id = p_user OR s.role = p_role OR s.everyone)
    WHERE p_elevated OR j.owner_id = p_user OR s.jar_id IS NOT NULL
    GROUP BY j.id, j.owner_id
$$;
