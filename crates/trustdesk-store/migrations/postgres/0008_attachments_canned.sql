-- Files shared in conversations. The bytes are kept in the database, not
-- beside it, so they are covered by the same durability, backup and
-- multi-node story as the events that reference them; the size limit
-- (config limits.attachment_max_bytes) keeps rows small.
CREATE TABLE attachments (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    uploader_type    TEXT NOT NULL CHECK (uploader_type IN ('customer', 'agent')),
    uploader_id      TEXT NOT NULL,
    name             TEXT NOT NULL,
    mime             TEXT NOT NULL,
    size             BIGINT NOT NULL,
    sha256           TEXT NOT NULL,
    data             BYTEA NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX attachments_by_conversation ON attachments (conversation_id);

-- Saved replies agents insert with a shortcut ("/withdrawal-delay").
CREATE TABLE canned_responses (
    id          TEXT PRIMARY KEY,
    shortcut    TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    locale      TEXT,
    created_by  TEXT REFERENCES agents(id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
