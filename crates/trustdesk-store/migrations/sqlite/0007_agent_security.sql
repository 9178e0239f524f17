-- Agent security: TOTP second factor, one-time recovery codes, and API
-- tokens (sessions with a name and scopes). TOTP secrets are needed in the
-- clear to verify codes; recovery codes and tokens are stored as SHA-256.

CREATE TABLE agent_totp (
    agent_id      TEXT PRIMARY KEY REFERENCES agents(id),
    secret        TEXT NOT NULL,
    -- NULL until the agent proves the authenticator with a first code.
    confirmed_at  INTEGER,
    -- The last 30-second step accepted: a code for this step or an earlier
    -- one is refused, so a code is valid once only, across restarts.
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE agent_recovery_codes (
    agent_id   TEXT NOT NULL REFERENCES agents(id),
    code_hash  BLOB NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (agent_id, code_hash)
);

-- An API token is a session with a name and scopes; a console session has
-- neither.
ALTER TABLE sessions ADD COLUMN token_name TEXT;
ALTER TABLE sessions ADD COLUMN scopes TEXT;

-- Agent sessions opened before 2FA existed did not pass a second factor:
-- they end here, and every agent logs in (and enrols) again.
UPDATE sessions SET revoked_at = created_at WHERE agent_id IS NOT NULL AND revoked_at IS NULL;
