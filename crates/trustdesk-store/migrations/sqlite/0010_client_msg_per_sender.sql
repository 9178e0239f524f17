-- A client message id is the sender's own: the customer's widget and an
-- agent's console number their messages independently, so the same id
-- from two senders is two messages, not a resend.
DROP INDEX events_client_msg;
CREATE UNIQUE INDEX events_client_msg ON events(conversation_id, client_msg_id, actor_type, COALESCE(actor_id, ''))
    WHERE client_msg_id IS NOT NULL;
