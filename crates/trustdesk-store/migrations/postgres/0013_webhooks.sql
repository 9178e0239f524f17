-- Outbound webhooks (Standard Webhooks): the endpoints admins register,
-- the outbox of messages to deliver to them, and the log of every attempt.
-- A delivery row is written before the first attempt, so nothing to send
-- lives only in memory: a restart resumes every pending one.

-- Secrets are kept as written (`whsec_…`): the server needs the key itself
-- to sign, so they cannot be hashed. During a rotation the previous secret
-- still signs until previous_secret_expires_at.
CREATE TABLE webhook_endpoints (
    id                          TEXT PRIMARY KEY,
    url                         TEXT NOT NULL,
    description                 TEXT NOT NULL DEFAULT '',
    event_types                 TEXT NOT NULL,   -- JSON list of event type names
    secret                      TEXT NOT NULL,
    previous_secret             TEXT,
    previous_secret_expires_at  BIGINT,
    enabled                     BOOLEAN NOT NULL,
    disabled_reason             TEXT,
    created_at                  BIGINT NOT NULL,
    updated_at                  BIGINT NOT NULL
);

-- One row per message and endpoint; its id is the `webhook-id` every
-- attempt repeats, so receivers can drop duplicates. `next_attempt_at` of
-- a pending row doubles as the claim lease: a worker that takes a row
-- moves it forward first, so another node does not take it too.
CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY,
    endpoint_id       TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_type        TEXT NOT NULL,
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    last_status_code  BIGINT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    delivered_at      BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt      BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    status_code  BIGINT,
    error        TEXT,
    duration_ms  BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
