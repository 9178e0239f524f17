-- The official-channel registry: values are stored normalised
-- (trustdesk_core::registry::normalize), one row per (kind, value).
CREATE TABLE official_channels (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (kind, value)
);
