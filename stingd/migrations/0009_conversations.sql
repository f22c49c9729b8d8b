-- min_reader: 1
-- Bee's conversations, and ingestion that reports its progress. A conversation's title and
-- messages are sealed with the conversation's own data key (envelope encryption, like
-- documents); what stays readable here is who owns it, which jars it draws on, the model, token
-- counts, the kinds of personal data a message held (never the values) and timestamps.

CREATE TABLE conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    wrapped_key text NOT NULL,
    title bytea NOT NULL,
    -- The jars Bee may draw on; NULL means every jar the owner can read when asking.
    jar_ids uuid[],
    model text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_by_owner ON conversations (owner_id, updated_at DESC);

CREATE TABLE messages (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    role text NOT NULL CHECK (role IN ('user', 'assistant')),
    -- Content and, for answers, the sources cited: sealed.
    sealed bytea NOT NULL,
    pii_kinds text[] NOT NULL DEFAULT '{}',
    prompt_tokens integer,
    completion_tokens integer,
    finish_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, seq)
);

-- Ingestion runs after the upload is stored: queued, then indexing, then ready or held; failed
-- with the reason when the file cannot be read. Re-indexing puts a document through it again.
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
ALTER TABLE documents ADD CONSTRAINT documents_status_check
    CHECK (status IN ('queued', 'indexing', 'ready', 'held', 'failed'));
ALTER TABLE documents ADD COLUMN error text;
ALTER TABLE documents ADD COLUMN progress real NOT NULL DEFAULT 1;
-- What the document was judged to be at upload (held documents stay held through re-indexing).
ALTER TABLE documents ADD COLUMN approved boolean NOT NULL DEFAULT true;
UPDATE documents SET approved = (status <> 'held');
-- Whether search uses its chunks: set when indexing finishes, so a document being re-indexed
-- stays searchable with its previous index until the new one replaces it.
ALTER TABLE documents ADD COLUMN searchable boolean NOT NULL DEFAULT false;
UPDATE documents SET searchable = (status = 'ready');
-- The stored content is the redacted text rather than the file (the `redact` upload policy).
ALTER TABLE documents ADD COLUMN redacted boolean NOT NULL DEFAULT false;
ALTER TABLE documents ADD COLUMN indexed_at timestamptz;

-- Embeddings of chunks (search by meaning), sealed with the document's key like the text: an
-- embedding says much of what its passage says.
ALTER TABLE chunks ADD COLUMN embedding bytea;
