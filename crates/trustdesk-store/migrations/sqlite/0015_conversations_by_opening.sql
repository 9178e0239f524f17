-- Reports read the conversations opened in a period.
CREATE INDEX conversations_created ON conversations(created_at, id);
