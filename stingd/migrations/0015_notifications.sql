-- min_reader: 12
-- Notifications: what concerns a user (a jar shared with them, a document of theirs held,
-- released or rejected, a failed ingestion, a new sign-in, a role change, a token about to
-- expire, or what a program posted), kept until read. Each new one is told to every stingd on
-- `sting_notifications` (the payload is `user:notification`), which tells that user's open pages.
CREATE TABLE notifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('jar_shared', 'document_held', 'document_released', 'document_rejected',
                                       'ingestion_failed', 'new_signin', 'role_changed', 'token_expiring', 'posted')),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    body text NOT NULL DEFAULT '' CHECK (length(body) <= 2000),
    link text CHECK (link ~ '^/([^/\\]|$)'),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    read_at timestamptz
);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE FUNCTION sting_notification_told() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sting_notifications', NEW.user_id::text || ':' || NEW.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_told AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION sting_notification_told();
