-- min_reader: 1
-- Documents in Honey Jars, what personal data they hold (kind and place, never the value), and
-- their chunks. Content is sealed with the document's own data key (envelope encryption, the
-- key wrapped by Vault's transit key); what stays readable here is the full-text index (its
-- words and their positions), names, sizes and timestamps.

CREATE TABLE documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    jar_id uuid NOT NULL REFERENCES honey_jars (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    doc_type text NOT NULL,
    size bigint NOT NULL,
    -- ready (searchable), held (personal data found: a moderator decides).
    status text NOT NULL CHECK (status IN ('ready', 'held')),
    wrapped_key text NOT NULL,
    -- The file as uploaded (or its redacted text), sealed.
    content bytea NOT NULL,
    uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_by_jar ON documents (jar_id);
CREATE INDEX documents_by_uploader ON documents (uploaded_by);

CREATE TABLE document_pii (
    document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    kind text NOT NULL,
    start_offset integer NOT NULL,
    end_offset integer NOT NULL,
    score real NOT NULL,
    rule text NOT NULL
);
CREATE INDEX document_pii_by_document ON document_pii (document_id);

CREATE TABLE chunks (
    id bigserial PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    jar_id uuid NOT NULL REFERENCES honey_jars (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    start_offset integer NOT NULL,
    end_offset integer NOT NULL,
    -- Heading path and text, sealed with the document's key.
    sealed bytea NOT NULL,
    tsv tsvector NOT NULL,
    UNIQUE (document_id, seq)
);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
CREATE INDEX chunks_by_jar ON chunks (jar_id);
