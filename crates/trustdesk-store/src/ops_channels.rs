//! The SQL of the channel tables, written once and instantiated per
//! backend like `ops.rs`.

macro_rules! define_channel_ops {
    ($conn:ty) => {
        use crate::rows::{self, CHANNEL_MESSAGE_COLUMNS, CUSTOMER_COLUMNS, IDENTITY_COLUMNS, THREAD_COLUMNS};
        use crate::{
            ChannelContact, ChannelIdentity, ChannelMessage, ChannelThread, ConversationLink, Result,
        };
        use trustdesk_core::{Channel, ConversationId, Customer, CustomerId, Timestamp};

        async fn customer_at_address(conn: &mut $conn, channel: Channel, address: &str) -> Result<Option<Customer>> {
            let columns = CUSTOMER_COLUMNS
                .split(", ")
                .map(|c| format!("c.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM channel_identities i JOIN customers c ON c.id = i.customer_id \
                 WHERE i.channel = $1 AND i.address = $2"
            ));
            let row = sqlx::query(sql)
                .bind(channel.as_str())
                .bind(address)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(rows::customer).transpose()
        }

        /// Finds or creates; a racing creation (another node) loses on the
        /// identity's key, removes its own customer row and takes the
        /// winner's, all in the caller's transaction.
        pub(crate) async fn customer_for_address(conn: &mut $conn, c: &ChannelContact) -> Result<(Customer, bool)> {
            if let Some(found) = customer_at_address(conn, c.channel, &c.address).await? {
                return Ok((found, false));
            }
            let id = CustomerId::new();
            sqlx::query(crate::ops::INSERT_CUSTOMER)
                .bind(id.to_string())
                .bind(None::<String>)
                .bind(c.display_name.as_deref())
                .bind(c.email.as_deref())
                .bind(None::<String>)
                .bind(c.at.0)
                .execute(&mut *conn)
                .await?;
            let bound = sqlx::query(
                "INSERT INTO channel_identities (channel, address, customer_id, display_name, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, address) DO NOTHING",
            )
            .bind(c.channel.as_str())
            .bind(&c.address)
            .bind(id.to_string())
            .bind(c.display_name.as_deref())
            .bind(c.at.0)
            .execute(&mut *conn)
            .await?;
            if bound.rows_affected() == 0 {
                sqlx::query("DELETE FROM customers WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *conn)
                    .await?;
                let found = customer_at_address(conn, c.channel, &c.address).await?;
                return found.map(|f| (f, false)).ok_or(crate::StoreError::Conflict("address taken"));
            }
            let created = customer_at_address(conn, c.channel, &c.address).await?;
            created.map(|f| (f, true)).ok_or(crate::StoreError::NotFound)
        }

        pub(crate) async fn add_channel_identity(conn: &mut $conn, i: &ChannelIdentity) -> Result<bool> {
            let done = sqlx::query(
                "INSERT INTO channel_identities (channel, address, customer_id, display_name, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, address) DO NOTHING",
            )
            .bind(i.channel.as_str())
            .bind(&i.address)
            .bind(i.customer_id.to_string())
            .bind(i.display_name.as_deref())
            .bind(i.created_at.0)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(crate) async fn channel_identities(conn: &mut $conn, customer: CustomerId) -> Result<Vec<ChannelIdentity>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {IDENTITY_COLUMNS} FROM channel_identities WHERE customer_id = $1 \
                 ORDER BY created_at, channel, address"
            ));
            let found = sqlx::query(sql).bind(customer.to_string()).fetch_all(&mut *conn).await?;
            found.iter().map(rows::channel_identity).collect()
        }

        pub(crate) async fn bind_channel_thread(conn: &mut $conn, t: &ChannelThread) -> Result<()> {
            sqlx::query(
                "INSERT INTO channel_threads (conversation_id, channel, address, delivered_seq, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id) DO NOTHING",
            )
            .bind(t.conversation_id.to_string())
            .bind(t.channel.as_str())
            .bind(&t.address)
            .bind(t.delivered_seq)
            .bind(t.updated_at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn channel_thread(conn: &mut $conn, id: ConversationId) -> Result<Option<ChannelThread>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {THREAD_COLUMNS} FROM channel_threads WHERE conversation_id = $1"
            ));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::channel_thread).transpose()
        }

        pub(crate) async fn lagging_channel_threads(conn: &mut $conn) -> Result<Vec<ChannelThread>> {
            let columns = THREAD_COLUMNS
                .split(", ")
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM channel_threads t JOIN conversations c ON c.id = t.conversation_id \
                 WHERE c.last_seq > t.delivered_seq ORDER BY t.updated_at"
            ));
            let found = sqlx::query(sql).fetch_all(&mut *conn).await?;
            found.iter().map(rows::channel_thread).collect()
        }

        pub(crate) async fn advance_channel_thread(
            conn: &mut $conn,
            id: ConversationId,
            seq: i64,
            at: Timestamp,
        ) -> Result<()> {
            sqlx::query(
                "UPDATE channel_threads SET delivered_seq = $1, updated_at = $2 \
                 WHERE conversation_id = $3 AND delivered_seq < $1",
            )
            .bind(seq)
            .bind(at.0)
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn record_channel_message(conn: &mut $conn, m: &ChannelMessage) -> Result<bool> {
            let done = sqlx::query(
                "INSERT INTO channel_messages (channel, external_id, conversation_id, direction, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, external_id) DO NOTHING",
            )
            .bind(m.channel.as_str())
            .bind(&m.external_id)
            .bind(m.conversation_id.map(|c| c.to_string()))
            .bind(m.direction.as_str())
            .bind(m.at.0)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(crate) async fn channel_message(
            conn: &mut $conn,
            channel: Channel,
            external_id: &str,
        ) -> Result<Option<ChannelMessage>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {CHANNEL_MESSAGE_COLUMNS} FROM channel_messages WHERE channel = $1 AND external_id = $2"
            ));
            let row = sqlx::query(sql)
                .bind(channel.as_str())
                .bind(external_id)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(rows::channel_message).transpose()
        }

        pub(crate) async fn channel_messages_of(conn: &mut $conn, id: ConversationId) -> Result<Vec<ChannelMessage>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {CHANNEL_MESSAGE_COLUMNS} FROM channel_messages WHERE conversation_id = $1 \
                 ORDER BY created_at, external_id"
            ));
            let found = sqlx::query(sql).bind(id.to_string()).fetch_all(&mut *conn).await?;
            found.iter().map(rows::channel_message).collect()
        }

        pub(crate) async fn checkpoint(conn: &mut $conn, name: &str) -> Result<Option<String>> {
            let row = sqlx::query("SELECT value FROM channel_checkpoints WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(|r| {
                use crate::rows::RowExt;
                r.text("value")
            }).transpose()
        }

        pub(crate) async fn put_checkpoint(conn: &mut $conn, name: &str, value: &str, at: Timestamp) -> Result<()> {
            sqlx::query(
                "INSERT INTO channel_checkpoints (name, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
            )
            .bind(name)
            .bind(value)
            .bind(at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn link_conversations(conn: &mut $conn, l: &ConversationLink) -> Result<()> {
            sqlx::query(
                "INSERT INTO conversation_links (conversation_id, linked_id, reason, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, linked_id) DO NOTHING",
            )
            .bind(l.conversation_id.to_string())
            .bind(l.linked_id.to_string())
            .bind(&l.reason)
            .bind(l.at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn conversation_links(conn: &mut $conn, id: ConversationId) -> Result<Vec<ConversationLink>> {
            let found = sqlx::query(
                "SELECT conversation_id, linked_id, reason, created_at FROM conversation_links \
                 WHERE conversation_id = $1 OR linked_id = $1 ORDER BY created_at",
            )
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            found.iter().map(rows::conversation_link).collect()
        }
    };
}

pub(crate) use define_channel_ops;

/// `impl ChannelStore` for a backend that has `self.write(job)` (one
/// transaction, committed when the job succeeds), `self.read_pool()` and a
/// `channel_ops` module from [`define_channel_ops`].
macro_rules! impl_channel_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::ChannelStore for $store {
            async fn customer_for_address(
                &self,
                contact: &crate::ChannelContact,
            ) -> crate::Result<(trustdesk_core::Customer, bool)> {
                let contact = contact.clone();
                self.write(move |conn| {
                    Box::pin(async move { channel_ops::customer_for_address(conn, &contact).await })
                })
                .await
            }

            async fn add_channel_identity(
                &self,
                identity: &crate::ChannelIdentity,
            ) -> crate::Result<bool> {
                let identity = identity.clone();
                self.write(move |conn| {
                    Box::pin(
                        async move { channel_ops::add_channel_identity(conn, &identity).await },
                    )
                })
                .await
            }

            async fn channel_identities(
                &self,
                customer: trustdesk_core::CustomerId,
            ) -> crate::Result<Vec<crate::ChannelIdentity>> {
                let mut conn = self.read_pool().acquire().await?;
                channel_ops::channel_identities(&mut conn, customer).await
            }

            async fn bind_channel_thread(
                &self,
                thread: &crate::ChannelThread,
            ) -> crate::Result<()> {
                let thread = thread.clone();
                self.write(move |conn| {
                    Box::pin(async move { channel_ops::bind_channel_thread(conn, &thread).await })
                })
                .await
            }

            async fn channel_thread(
                &self,
                conversation: trustdesk_core::ConversationId,
            ) -> crate::Result<Option<crate::ChannelThread>> {
                let mut conn = self.read_pool().acquire().await?;
                channel_ops::channel_thread(&mut conn, conversation).await
            }

            async fn lagging_channel_threads(&self) -> crate::Result<Vec<crate::ChannelThread>> {
                let mut conn = self.read_pool().acquire().await?;
                channel_ops::lagging_channel_threads(&mut conn).await
            }

            async fn advance_channel_thread(
                &self,
                conversation: trustdesk_core::ConversationId,
                seq: i64,
                at: trustdesk_core::Timestamp,
            ) -> crate::Result<()> {
                self.write(move |conn| {
                    Box::pin(async move {
                        channel_ops::advance_channel_thread(conn, conversation, seq, at).await
                    })
                })
                .await
            }

            async fn record_channel_message(
                &self,
                message: &crate::ChannelMessage,
            ) -> crate::Result<bool> {
                let message = message.clone();
                self.write(move |conn| {
                    Box::pin(
                        async move { channel_ops::record_channel_message(conn, &message).await },
                    )
                })
                .await
            }

            async fn channel_message(
                &self,
                channel: trustdesk_core::Channel,
                external_id: &str,
            ) -> crate::Result<Option<crate::ChannelMessage>> {
                let mut conn = self.read_pool().acquire().await?;
                channel_ops::channel_message(&mut conn, channel, external_id).await
            }

            async fn channel_messages_of(
                &self,
                conversation: trustdesk_core::ConversationId,
            ) -> crate::Result<Vec<crate::ChannelMessage>> {
                let mut conn = self.read_pool().acquire().await?;
                channel_ops::channel_messages_of(&mut conn, conversation).await
            }

            async fn checkpoint(&self, name: &str) -> crate::Result<Option<String>> {
                let mut conn = self.read_pool().acquire().await?;
                channel_ops::checkpoint(&mut conn, name).await
            }

            async fn put_checkpoint(
                &self,
                name: &str,
                value: &str,
                at: trustdesk_core::Timestamp,
            ) -> crate::Result<()> {
                let (name, value) = (name.to_owned(), value.to_owned());
                self.write(move |conn| {
                    Box::pin(
                        async move { channel_ops::put_checkpoint(conn, &name, &value, at).await },
                    )
                })
                .await
            }

            async fn link_conversations(
                &self,
                link: &crate::ConversationLink,
            ) -> crate::Result<()> {
                let link = link.clone();
                self.write(move |conn| {
                    Box::pin(async move { channel_ops::link_conversations(conn, &link).await })
                })
                .await
            }

            async fn conversation_links(
                &self,
                conversation: trustdesk_core::ConversationId,
            ) -> crate::Result<Vec<crate::ConversationLink>> {
                let mut conn = self.read_pool().acquire().await?;
                channel_ops::conversation_links(&mut conn, conversation).await
            }
        }
    };
}

pub(crate) use impl_channel_store;
