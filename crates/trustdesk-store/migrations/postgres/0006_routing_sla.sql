-- Routing, SLA and lifecycle timers (issue 4).

-- An agent's routing profile: skills (JSON object category -> 0..3) and
-- capacity (most concurrent conversations). Languages and team stay on
-- the agents row. No row: the agent is never routed to (capacity 0).
CREATE TABLE agent_routing (
    agent_id    TEXT PRIMARY KEY REFERENCES agents(id),
    skills      TEXT NOT NULL,
    capacity    BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Named JSON documents of configuration (the SLA policy).
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Business-hours calendars by name (CalendarSpec as JSON).
CREATE TABLE calendars (
    name        TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Every deadline of a conversation (SLA, snooze wake-up, auto-close,
-- reminders): one row per conversation and kind, read by the one timer
-- task in due order, so timers survive a restart.
CREATE TABLE timers (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    kind             TEXT NOT NULL,
    due_at           BIGINT NOT NULL,
    payload          TEXT NOT NULL,
    PRIMARY KEY (conversation_id, kind)
);
CREATE INDEX timers_due ON timers(due_at);

-- The SLA clocks of a conversation (JSON), persisted on every change.
CREATE TABLE sla_state (
    conversation_id  TEXT PRIMARY KEY REFERENCES conversations(id),
    state            TEXT NOT NULL,
    updated_at       BIGINT NOT NULL
);
