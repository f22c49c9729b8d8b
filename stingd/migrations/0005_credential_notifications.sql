-- min_reader: 1
-- Tells every stingd, at once, that credentials it may hold in memory are no longer what they
-- were: a session revoked or rotated, a token revoked, a user disabled, deleted, renamed or given
-- another role. The payload is the user's id (`*` for everyone). Writes that change nothing a cached
-- credential depends on (a session's `last_seen_at`) stay silent.

CREATE FUNCTION sting_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('sting_credentials', '*');
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('sting_credentials', OLD.id::text);
    ELSE
        PERFORM pg_notify('sting_credentials', OLD.user_id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_changed AFTER UPDATE OF id_hash, user_id, aal, expires_at OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sting_credentials_changed();
CREATE TRIGGER api_tokens_changed AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION sting_credentials_changed();
CREATE TRIGGER users_changed AFTER UPDATE OF email, role, disabled_at OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION sting_credentials_changed();
CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION sting_credentials_changed();
CREATE TRIGGER api_tokens_truncated AFTER TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION sting_credentials_changed();
CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION sting_credentials_changed();
