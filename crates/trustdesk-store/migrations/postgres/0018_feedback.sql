-- Suggestions and complaints customers send (docs/feedback.md): the text
-- is the secret guard's redacted text, never what was typed.
CREATE TABLE feedback (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    source          TEXT NOT NULL,
    body            TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    conversation_id TEXT,
    language        TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX feedback_by_time ON feedback(created_at, id);
