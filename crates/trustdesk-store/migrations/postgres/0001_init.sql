-- trustdesk schema, PostgreSQL flavour. Ids are UUID text, times are Unix
-- milliseconds, event payloads are JSON text (new event kinds need no
-- schema change). Never edit this file once released: add a new migration.

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE agents (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    status         TEXT NOT NULL,
    languages      TEXT NOT NULL,
    team_id        TEXT REFERENCES teams(id),
    badge          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE customers (
    id           TEXT PRIMARY KEY,
    external_id  TEXT UNIQUE,
    name         TEXT,
    email        TEXT,
    locale       TEXT,
    created_at   BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    customer_id  TEXT REFERENCES customers(id),
    agent_id     TEXT REFERENCES agents(id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    CHECK ((customer_id IS NULL) <> (agent_id IS NULL))
);
CREATE INDEX sessions_agent ON sessions(agent_id) WHERE agent_id IS NOT NULL;

CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    channel           TEXT NOT NULL,
    subject           TEXT,
    category          TEXT,
    language          TEXT,
    priority          TEXT NOT NULL,
    urgent            BOOLEAN NOT NULL,
    status            TEXT NOT NULL,
    assignee_id       TEXT REFERENCES agents(id),
    team_id           TEXT REFERENCES teams(id),
    snoozed_until     BIGINT,
    last_seq          BIGINT NOT NULL,
    origin_client_id  TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversations_origin ON conversations(customer_id, origin_client_id)
    WHERE origin_client_id IS NOT NULL;
CREATE INDEX conversations_inbox ON conversations(updated_at DESC, id);
CREATE INDEX conversations_customer ON conversations(customer_id, updated_at DESC);
CREATE INDEX conversations_assignee ON conversations(assignee_id, status);

CREATE TABLE events (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    seq              BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    actor_type       TEXT NOT NULL,
    actor_id         TEXT,
    actor_name       TEXT,
    kind             TEXT NOT NULL,
    visibility       TEXT NOT NULL,
    client_msg_id    TEXT,
    payload          TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX events_client_msg ON events(conversation_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;
