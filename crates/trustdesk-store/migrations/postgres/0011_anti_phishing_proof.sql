-- The issue time (unix seconds) of the last exchange proof that changed the
-- anti-phishing code: a proof is accepted only when newer, so each one
-- works once and a captured one cannot be replayed.
ALTER TABLE customer_security ADD COLUMN proof_issued_at BIGINT NOT NULL DEFAULT 0;
