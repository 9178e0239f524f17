-- Rate-limit buckets shared by every node (login, 2FA, password reset,
-- widget sessions, the "is this official?" lookup). `key` is a SHA-256 of
-- the limit's name and the client's address or account, never the address
-- or account itself. `granted` is what the last take decided, so one
-- upsert both counts and answers.
--
-- UNLOGGED: a take writes no WAL and its commit waits for no disk flush,
-- so counting requests costs next to nothing. A crash (or a failover to a
-- standby) empties the table, which only means every bucket starts full
-- again.
CREATE UNLOGGED TABLE rate_buckets (
    key         BYTEA PRIMARY KEY,
    tokens      DOUBLE PRECISION NOT NULL,
    counted_at  BIGINT NOT NULL,
    granted     BOOLEAN NOT NULL
);
CREATE INDEX rate_buckets_counted_at ON rate_buckets(counted_at);
