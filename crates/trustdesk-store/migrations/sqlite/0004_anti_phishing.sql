-- Per-customer security settings kept apart from the customer row, so no
-- query that serves agents can select them by accident.
CREATE TABLE customer_security (
    customer_id         TEXT PRIMARY KEY REFERENCES customers(id),
    anti_phishing_code  TEXT NOT NULL,
    updated_at          INTEGER NOT NULL
);
