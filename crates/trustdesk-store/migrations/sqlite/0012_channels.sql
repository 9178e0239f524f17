-- Channels beyond the widget (email, Telegram): who a customer is on each
-- channel, which conversation each channel thread is, what came in and
-- went out (the inbound dedupe key and the email thread lookup), where the
-- inbound readers stand, and conversations that continue another.

-- A customer's address on a channel: an email address, a Telegram user id.
CREATE TABLE channel_identities (
    channel       TEXT NOT NULL,
    address       TEXT NOT NULL,
    customer_id   TEXT NOT NULL REFERENCES customers(id),
    display_name  TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (channel, address)
);
CREATE INDEX channel_identities_by_customer ON channel_identities (customer_id);

-- The channel a conversation lives on, the address replies go to, and how
-- far its public events have gone out (events up to delivered_seq).
CREATE TABLE channel_threads (
    conversation_id  TEXT PRIMARY KEY REFERENCES conversations(id),
    channel          TEXT NOT NULL,
    address          TEXT NOT NULL,
    delivered_seq    INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Every message that came in or went out on a channel, by its id there
-- (an email Message-ID, a Telegram update id).
CREATE TABLE channel_messages (
    channel          TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    conversation_id  TEXT REFERENCES conversations(id),
    direction        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX channel_messages_by_conversation ON channel_messages (conversation_id, created_at);

-- Named positions of the inbound readers (IMAP UIDVALIDITY and last UID
-- per mailbox, Telegram's update offset).
CREATE TABLE channel_checkpoints (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A conversation that continues another one (a reply that could not be
-- threaded safely into it opens a new conversation linked to it).
CREATE TABLE conversation_links (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    linked_id        TEXT NOT NULL REFERENCES conversations(id),
    reason           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, linked_id)
);
