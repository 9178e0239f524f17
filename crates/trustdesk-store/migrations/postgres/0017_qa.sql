-- QA review of conversations (docs/qa.md). A review and an assignment are
-- kept as JSON with the columns they are looked up by; one review per
-- conversation (a second review replaces the first).
CREATE TABLE qa_reviews (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL UNIQUE,
    agent_id        TEXT NOT NULL,
    reviewer_id     TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX qa_reviews_by_agent ON qa_reviews(agent_id, created_at);
CREATE INDEX qa_reviews_by_time ON qa_reviews(created_at);

-- Conversations sampled for review, each once.
CREATE TABLE qa_assignments (
    conversation_id TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL,
    reviewer_id     TEXT,
    why             TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX qa_assignments_by_reviewer ON qa_assignments(reviewer_id, created_at);
