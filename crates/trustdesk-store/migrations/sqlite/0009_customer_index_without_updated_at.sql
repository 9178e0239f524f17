-- Every message moves its conversation's updated_at. With updated_at in
-- this index each message also rewrote an index page (a WAL frame per
-- commit, copied again at checkpoint). A customer has few conversations:
-- sorting them by updated_at needs no index.
DROP INDEX conversations_customer;
CREATE INDEX conversations_customer ON conversations(customer_id);
