//! The SQL of every store operation, written once and instantiated per
//! backend. Both schemas use the same column types as far as sqlx sees
//! them (text ids, integer times, JSON text), and sqlx accepts `$N`
//! placeholders on SQLite too, so the statements are shared; only the row
//! lock for appends differs (PostgreSQL needs `FOR UPDATE` to serialise two
//! nodes; SQLite has a single writer already).
//!
//! Every function runs on a connection that the caller has put inside a
//! transaction, so a multi-statement operation is atomic.

/// Writes a conversation's projected state ($1..$11).
pub(crate) const UPDATE_CONVERSATION_STATE: &str = "UPDATE conversations SET category = $1, \
     language = $2, priority = $3, urgent = $4, status = $5, assignee_id = $6, team_id = $7, \
     snoozed_until = $8, last_seq = $9, updated_at = $10, labels = $11 WHERE id = $12";

/// Writes only what an event that changes nothing but the head moves
/// ($1..$3): most events are messages, and naming fewer columns keeps
/// SQLite from rewriting the index entries of columns that did not change.
pub(crate) const UPDATE_CONVERSATION_HEAD: &str =
    "UPDATE conversations SET last_seq = $1, updated_at = $2 WHERE id = $3";

/// Stores one event ($1..$10).
pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (conversation_id, seq, at, actor_type, \
     actor_id, actor_name, kind, visibility, client_msg_id, payload) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Stores a customer ($1..$6).
pub(crate) const INSERT_CUSTOMER: &str = "INSERT INTO customers (id, external_id, name, email, \
     locale, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Stores a session ($1..$9).
pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions (id, token_hash, customer_id, \
     agent_id, created_at, expires_at, revoked_at, token_name, scopes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Stores a new conversation before its opening events ($1..$11).
pub(crate) const INSERT_CONVERSATION: &str = "INSERT INTO conversations (id, customer_id, \
     channel, subject, category, language, priority, urgent, status, assignee_id, team_id, \
     snoozed_until, last_seq, origin_client_id, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, NULL, NULL, NULL, 0, $9, $10, $11)";

/// Stores an attachment's bytes ($1..$10).
pub(crate) const INSERT_ATTACHMENT: &str = "INSERT INTO attachments (id, conversation_id, \
     uploader_type, uploader_id, name, mime, size, sha256, data, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// A conversation by the customer's own id for it ($1 customer, $2 origin).
pub(crate) fn conversation_by_origin_sql() -> String {
    format!(
        "SELECT {} FROM conversations WHERE customer_id = $1 AND origin_client_id = $2",
        crate::rows::CONVERSATION_COLUMNS
    )
}

/// The conversation row and the seq of an event this sender stored with
/// this client message id, if any ($1 conversation, $2 client id, $3 and
/// $4 the sender as `rows::sender_key` gives it), in one statement: the
/// duplicate is the rare case. `lock` ends the statement (PostgreSQL's
/// `FOR UPDATE`). Client ids are the sender's own: an agent's id that
/// happens to equal the customer's is a different message.
pub(crate) fn conversation_and_probe_sql(lock: &str) -> String {
    format!(
        "SELECT {}, (SELECT e.seq FROM events e WHERE e.conversation_id = $1 AND \
         e.client_msg_id = $2 AND e.actor_type = $3 AND COALESCE(e.actor_id, '') = $4) \
         AS duplicate_seq FROM conversations WHERE id = $1{lock}",
        crate::rows::CONVERSATION_COLUMNS
    )
}

/// The event this sender stored with this client message id ($1
/// conversation, $2 client id, $3 and $4 the sender).
pub(crate) fn event_by_client_id_sql() -> String {
    format!(
        "SELECT {} FROM events WHERE conversation_id = $1 AND client_msg_id = $2 \
         AND actor_type = $3 AND COALESCE(actor_id, '') = $4",
        crate::rows::EVENT_COLUMNS
    )
}

/// Events after a seq ($1 conversation, $2 after, $3 public only as 0/1,
/// $4 limit).
pub(crate) fn events_after_sql() -> String {
    format!(
        "SELECT {} FROM events WHERE conversation_id = $1 AND seq > $2 \
         AND ($3 = 0 OR visibility = '{}') ORDER BY seq LIMIT $4",
        crate::rows::EVENT_COLUMNS,
        trustdesk_core::Visibility::Public.as_str()
    )
}

macro_rules! define_ops {
    ($db:ty, $conn:ty, $lock:literal) => {
        use crate::append::{AppendPlan, plan_append};
        use crate::rows::{self, *};
        use crate::{
            Appended, AssigneeFilter, Audience, ConversationFilter, Created, NewConversation,
            Result, Session, StoreError, TotpRecord, VerifiedProfile,
        };
        use sqlx::QueryBuilder;
        use trustdesk_core::kb::{Article, ArticleDraft};
        use trustdesk_core::{
            Actor, Agent, AgentId, AgentStatus, Role, ArticleId, Conversation, ConversationId, Customer, CustomerId, Event, NewEvent,
            SessionId, Team, Timestamp,
        };

        pub(crate) async fn insert_team(conn: &mut $conn, team: &Team) -> Result<()> {
            sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(team.id.to_string())
                .bind(&team.name)
                .bind(team.created_at.0)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn list_teams(conn: &mut $conn) -> Result<Vec<Team>> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {TEAM_COLUMNS} FROM teams ORDER BY name"));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(rows::team).collect()
        }

        pub(crate) async fn insert_agent(conn: &mut $conn, a: &Agent, password_hash: &str) -> Result<()> {
            sqlx::query(
                "INSERT INTO agents (id, email, display_name, role, status, languages, team_id, \
                 badge, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(a.id.to_string())
            .bind(a.email.to_lowercase())
            .bind(&a.display_name)
            .bind(a.role.as_str())
            .bind(a.status.as_str())
            .bind(languages_json(a))
            .bind(a.team_id.map(|t| t.to_string()))
            .bind(&a.badge)
            .bind(password_hash)
            .bind(a.created_at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn get_agent(conn: &mut $conn, id: AgentId) -> Result<Agent> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1"));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::agent).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn agent_credentials(conn: &mut $conn, email: &str) -> Result<Option<(Agent, String)>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {AGENT_COLUMNS}, password_hash FROM agents WHERE email = $1"
            ));
            let row = sqlx::query(sql)
                .bind(email.trim().to_lowercase())
                .fetch_optional(&mut *conn)
                .await?;
            match row {
                Some(r) => Ok(Some((rows::agent(&r)?, r.text("password_hash")?))),
                None => Ok(None),
            }
        }

        pub(crate) async fn list_agents(conn: &mut $conn) -> Result<Vec<Agent>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {AGENT_COLUMNS} FROM agents ORDER BY display_name, id"
            ));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(rows::agent).collect()
        }

        pub(crate) async fn insert_customer(conn: &mut $conn, c: &Customer) -> Result<()> {
            sqlx::query(crate::ops::INSERT_CUSTOMER)
            .bind(c.id.to_string())
            .bind(&c.external_id)
            .bind(c.name.as_deref())
            .bind(c.email.as_deref())
            .bind(c.locale.map(|l| l.as_str()))
            .bind(c.created_at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn upsert_verified_customer(
            conn: &mut $conn,
            p: &VerifiedProfile,
        ) -> Result<Customer> {
            let sql = sqlx::AssertSqlSafe(format!(
                "INSERT INTO customers (id, external_id, name, email, locale, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (external_id) DO UPDATE SET \
                   name = COALESCE(EXCLUDED.name, customers.name), \
                   email = COALESCE(EXCLUDED.email, customers.email), \
                   locale = COALESCE(EXCLUDED.locale, customers.locale) \
                 RETURNING {CUSTOMER_COLUMNS}"
            ));
            let row = sqlx::query(sql)
                .bind(CustomerId::new().to_string())
                .bind(&p.external_id)
                .bind(p.name.as_deref())
                .bind(p.email.as_deref())
                .bind(p.locale.map(|l| l.as_str()))
                .bind(p.at.0)
                .fetch_one(&mut *conn)
                .await?;
            rows::customer(&row)
        }

        pub(crate) async fn get_customer(conn: &mut $conn, id: CustomerId) -> Result<Customer> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1"
            ));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::customer).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn insert_session(conn: &mut $conn, s: &Session) -> Result<()> {
            let (customer, agent) = session_principal_columns(s);
            sqlx::query(crate::ops::INSERT_SESSION)
            .bind(s.id.to_string())
            .bind(&s.token_hash)
            .bind(customer)
            .bind(agent)
            .bind(s.created_at.0)
            .bind(s.expires_at.0)
            .bind(s.revoked_at.map(|t| t.0))
            .bind(s.api_token.as_ref().map(|t| t.name.clone()))
            .bind(session_scopes_column(s))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn list_api_tokens(conn: &mut $conn, agent: AgentId) -> Result<Vec<Session>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE agent_id = $1 AND token_name IS NOT NULL \
                 ORDER BY created_at, id"
            ));
            let rows = sqlx::query(sql).bind(agent.to_string()).fetch_all(&mut *conn).await?;
            rows.iter().map(rows::session).collect()
        }

        pub(crate) async fn get_session(conn: &mut $conn, id: SessionId) -> Result<Session> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::session).transpose()?.ok_or(StoreError::NotFound)
        }

        /// Of `ids`, the sessions that no longer open anything at `now`:
        /// revoked, expired, gone, or an agent's whose account is not active.
        pub(crate) async fn ended_sessions(conn: &mut $conn, ids: &[SessionId], now: Timestamp) -> Result<Vec<SessionId>> {
            let mut ended = Vec::new();
            // Bounded statements: a node may hold tens of thousands.
            for chunk in ids.chunks(500) {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT s.id, s.revoked_at, s.expires_at, a.status FROM sessions s \
                     LEFT JOIN agents a ON a.id = s.agent_id WHERE s.id IN (",
                );
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(id.to_string());
                }
                qb.push(")");
                let rows = qb.build().fetch_all(&mut *conn).await?;
                let mut live = std::collections::HashSet::with_capacity(rows.len());
                for r in &rows {
                    let agent_active = match r.opt_text("status")? {
                        Some(status) => parse::<AgentStatus>(&status, "agent status")? == AgentStatus::Active,
                        None => true,
                    };
                    if r.opt_int("revoked_at")?.is_none() && now.0 < r.int("expires_at")? && agent_active {
                        live.insert(r.text("id")?);
                    }
                }
                ended.extend(chunk.iter().filter(|id| !live.contains(&id.to_string())).copied());
            }
            Ok(ended)
        }

        fn expect_one(done: u64) -> Result<()> {
            if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        }

        pub(crate) async fn set_agent_password(conn: &mut $conn, agent: AgentId, hash: String) -> Result<()> {
            let done = sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?
                .rows_affected();
            expect_one(done)
        }

        pub(crate) async fn set_agent_status(conn: &mut $conn, agent: AgentId, status: AgentStatus) -> Result<()> {
            let done = sqlx::query("UPDATE agents SET status = $1 WHERE id = $2")
                .bind(status.as_str())
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?
                .rows_affected();
            expect_one(done)
        }

        pub(crate) async fn set_agent_role(conn: &mut $conn, agent: AgentId, role: Role) -> Result<()> {
            let done = sqlx::query("UPDATE agents SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?
                .rows_affected();
            expect_one(done)
        }

        pub(crate) async fn get_totp(conn: &mut $conn, agent: AgentId) -> Result<Option<TotpRecord>> {
            let row = sqlx::query("SELECT secret, confirmed_at, last_step FROM agent_totp WHERE agent_id = $1")
                .bind(agent.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            match row {
                Some(r) => Ok(Some(TotpRecord {
                    secret: r.text("secret")?,
                    confirmed_at: r.opt_int("confirmed_at")?.map(Timestamp),
                    last_step: r.int("last_step")?,
                })),
                None => Ok(None),
            }
        }

        /// Stores a new, unconfirmed secret; `Conflict` when 2FA is already on.
        pub(crate) async fn begin_totp(conn: &mut $conn, agent: AgentId, secret: String, at: Timestamp) -> Result<()> {
            let done = sqlx::query(
                "INSERT INTO agent_totp (agent_id, secret, confirmed_at, last_step, created_at) \
                 VALUES ($1, $2, NULL, 0, $3) \
                 ON CONFLICT (agent_id) DO UPDATE SET secret = EXCLUDED.secret, \
                   created_at = EXCLUDED.created_at \
                 WHERE agent_totp.confirmed_at IS NULL",
            )
            .bind(agent.to_string())
            .bind(secret)
            .bind(at.0)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(StoreError::Conflict("two-factor authentication is already on"));
            }
            Ok(())
        }

        /// Turns 2FA on with the step of the first accepted code, and
        /// replaces the recovery codes. `Conflict` when not pending.
        pub(crate) async fn confirm_totp(
            conn: &mut $conn,
            agent: AgentId,
            step: i64,
            recovery_hashes: Vec<Vec<u8>>,
            at: Timestamp,
        ) -> Result<()> {
            let done = sqlx::query(
                "UPDATE agent_totp SET confirmed_at = $1, last_step = $2 \
                 WHERE agent_id = $3 AND confirmed_at IS NULL AND last_step < $2",
            )
            .bind(at.0)
            .bind(step)
            .bind(agent.to_string())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(StoreError::Conflict("no enrolment in progress"));
            }
            sqlx::query("DELETE FROM agent_recovery_codes WHERE agent_id = $1")
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?;
            for hash in recovery_hashes {
                sqlx::query("INSERT INTO agent_recovery_codes (agent_id, code_hash, used_at) VALUES ($1, $2, NULL)")
                    .bind(agent.to_string())
                    .bind(hash)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        /// Accepts a TOTP step once: true when `step` is newer than every
        /// step accepted before (so a replayed code is refused).
        pub(crate) async fn consume_totp_step(conn: &mut $conn, agent: AgentId, step: i64) -> Result<bool> {
            let done = sqlx::query(
                "UPDATE agent_totp SET last_step = $1 \
                 WHERE agent_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1",
            )
            .bind(step)
            .bind(agent.to_string())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            Ok(done == 1)
        }

        /// Uses a recovery code once: true when it existed unused.
        pub(crate) async fn consume_recovery_code(
            conn: &mut $conn,
            agent: AgentId,
            hash: Vec<u8>,
            at: Timestamp,
        ) -> Result<bool> {
            let done = sqlx::query(
                "UPDATE agent_recovery_codes SET used_at = $1 \
                 WHERE agent_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(at.0)
            .bind(agent.to_string())
            .bind(hash)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            Ok(done == 1)
        }

        pub(crate) async fn recovery_codes_left(conn: &mut $conn, agent: AgentId) -> Result<i64> {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM agent_recovery_codes WHERE agent_id = $1 AND used_at IS NULL",
            )
            .bind(agent.to_string())
            .fetch_one(&mut *conn)
            .await?;
            row.int("n")
        }

        /// Removes the second factor and its recovery codes.
        pub(crate) async fn reset_totp(conn: &mut $conn, agent: AgentId) -> Result<()> {
            sqlx::query("DELETE FROM agent_recovery_codes WHERE agent_id = $1")
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM agent_totp WHERE agent_id = $1")
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn session_by_token_hash(conn: &mut $conn, hash: &[u8]) -> Result<Option<Session>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"
            ));
            let row = sqlx::query(sql).bind(hash.to_vec()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::session).transpose()
        }

        pub(crate) async fn revoke_session(conn: &mut $conn, id: SessionId, at: Timestamp) -> Result<()> {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(at.0)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn revoke_agent_sessions(
            conn: &mut $conn,
            agent: AgentId,
            keep: Option<SessionId>,
            at: Timestamp,
        ) -> Result<Vec<SessionId>> {
            let keep = keep.map(|k| k.to_string()).unwrap_or_default();
            let rows = sqlx::query(
                "UPDATE sessions SET revoked_at = $1 \
                 WHERE agent_id = $2 AND revoked_at IS NULL AND id <> $3 RETURNING id",
            )
            .bind(at.0)
            .bind(agent.to_string())
            .bind(keep)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    r.text("id")?
                        .parse()
                        .map_err(|_| StoreError::Internal("corrupt session id".into()))
                })
                .collect()
        }

        pub(crate) async fn get_conversation(conn: &mut $conn, id: ConversationId) -> Result<Conversation> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"
            ));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::conversation).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) fn bind_conversation_state<'q>(
            query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            c: &Conversation,
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
            query
                .bind(c.category.map(|v| v.as_str()))
                .bind(c.language.map(|v| v.as_str()))
                .bind(c.priority.as_str())
                .bind(c.urgent)
                .bind(c.status.as_str())
                .bind(c.assignee_id.map(|v| v.to_string()))
                .bind(c.team_id.map(|v| v.to_string()))
                .bind(c.snoozed_until.map(|t| t.0))
                .bind(c.last_seq)
                .bind(c.updated_at.0)
                .bind(crate::rows::labels_column(c))
                .bind(c.id.to_string())
        }

        pub(crate) fn bind_conversation_head<'q>(
            query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            c: &Conversation,
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
            query.bind(c.last_seq).bind(c.updated_at.0).bind(c.id.to_string())
        }

        pub(crate) async fn write_conversation_state(conn: &mut $conn, c: &Conversation) -> Result<()> {
            bind_conversation_state(sqlx::query(crate::ops::UPDATE_CONVERSATION_STATE), c)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) fn bind_event<'q>(
            query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            e: &Event,
        ) -> Result<sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>> {
            let (actor_type, actor_id, actor_name) = actor_columns(&e.actor);
            Ok(query
                .bind(e.conversation_id.to_string())
                .bind(e.seq)
                .bind(e.at.0)
                .bind(actor_type)
                .bind(actor_id)
                .bind(actor_name)
                .bind(e.kind.name())
                .bind(e.visibility.as_str())
                .bind(&e.client_msg_id)
                .bind(payload_json(&e.kind)?))
        }

        async fn insert_event(conn: &mut $conn, e: &Event) -> Result<()> {
            bind_event(sqlx::query(crate::ops::INSERT_EVENT), e)?
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn event_by_client_id(
            conn: &mut $conn,
            conversation: ConversationId,
            client_msg_id: &str,
            sender: &Actor,
        ) -> Result<Option<Event>> {
            let sql = sqlx::AssertSqlSafe(crate::ops::event_by_client_id_sql());
            let (sender_type, sender_id) = crate::rows::sender_key(sender);
            let row = sqlx::query(sql)
                .bind(conversation.to_string())
                .bind(client_msg_id)
                .bind(sender_type)
                .bind(sender_id)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(rows::event).transpose()
        }

        /// The conversation row, locked for the rest of the transaction
        /// where the backend needs a lock to serialise appends, and whether
        /// an event with this
        /// client message id exists, in one statement: each statement is a
        /// round trip to the database, and the duplicate is the rare case.
        async fn lock_conversation_and_probe(
            conn: &mut $conn,
            id: ConversationId,
            client_msg_id: Option<&str>,
            sender: &Actor,
        ) -> Result<(Conversation, bool)> {
            let sql = sqlx::AssertSqlSafe(crate::ops::conversation_and_probe_sql($lock));
            let (sender_type, sender_id) = crate::rows::sender_key(sender);
            let row = sqlx::query(sql)
                .bind(id.to_string())
                .bind(client_msg_id)
                .bind(sender_type)
                .bind(sender_id)
                .fetch_optional(&mut *conn)
                .await?;
            let row = row.ok_or(StoreError::NotFound)?;
            Ok((rows::conversation(&row)?, row.opt_int("duplicate_seq")?.is_some()))
        }

        pub(crate) async fn append_event(conn: &mut $conn, new: NewEvent) -> Result<Appended> {
            let (conversation, seen) =
                lock_conversation_and_probe(conn, new.conversation_id, new.client_msg_id.as_deref(), &new.actor).await?;
            let existing = match &new.client_msg_id {
                Some(id) if seen => event_by_client_id(conn, new.conversation_id, id, &new.actor).await?,
                _ => None,
            };
            match plan_append(conversation.clone(), existing, new)? {
                AppendPlan::Duplicate(event) => Ok(Appended { event, conversation, duplicate: true }),
                AppendPlan::Write { event, conversation: next } => {
                    insert_event(conn, &event).await?;
                    if crate::append::head_only(&conversation, &next) {
                        bind_conversation_head(sqlx::query(crate::ops::UPDATE_CONVERSATION_HEAD), &next)
                            .execute(&mut *conn)
                            .await?;
                    } else {
                        write_conversation_state(conn, &next).await?;
                    }
                    let conversation = next;
                    Ok(Appended { event, conversation, duplicate: false })
                }
            }
        }

        pub(crate) async fn create_conversation(
            conn: &mut $conn,
            new: &NewConversation,
            opening: Vec<NewEvent>,
        ) -> Result<Created> {
            if let Some(origin) = &new.origin_client_id {
                let sql = sqlx::AssertSqlSafe(crate::ops::conversation_by_origin_sql());
                let row = sqlx::query(sql)
                    .bind(new.customer_id.to_string())
                    .bind(origin)
                    .fetch_optional(&mut *conn)
                    .await?;
                if let Some(row) = row {
                    let conversation = rows::conversation(&row)?;
                    let count = u32::try_from(opening.len()).unwrap_or(u32::MAX);
                    let events = events(conn, conversation.id, 0, Audience::Team, count).await?;
                    return Ok(Created { conversation, events, duplicate: true });
                }
            }
            let conversation = new.initial_state();
            sqlx::query(crate::ops::INSERT_CONVERSATION)
            .bind(conversation.id.to_string())
            .bind(conversation.customer_id.to_string())
            .bind(conversation.channel.as_str())
            .bind(conversation.subject.as_deref())
            .bind(conversation.language.map(|l| l.as_str()))
            .bind(conversation.priority.as_str())
            .bind(conversation.urgent)
            .bind(conversation.status.as_str())
            .bind(&new.origin_client_id)
            .bind(conversation.created_at.0)
            .bind(conversation.updated_at.0)
            .execute(&mut *conn)
            .await?;
            let (conversation, events) = crate::append::plan_opening(conversation, opening)?;
            for event in &events {
                insert_event(conn, event).await?;
            }
            if !events.is_empty() {
                write_conversation_state(conn, &conversation).await?;
            }
            Ok(Created { conversation, events, duplicate: false })
        }

        pub(crate) async fn list_conversations(
            conn: &mut $conn,
            f: &ConversationFilter,
        ) -> Result<Vec<Conversation>> {
            let mut qb = QueryBuilder::<$db>::new(format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE 1 = 1"
            ));
            if !f.statuses.is_empty() {
                qb.push(" AND status IN (");
                let mut list = qb.separated(", ");
                for s in &f.statuses {
                    list.push_bind(s.as_str());
                }
                qb.push(")");
            }
            match f.assignee {
                Some(AssigneeFilter::Unassigned) => {
                    qb.push(" AND assignee_id IS NULL");
                }
                Some(AssigneeFilter::Agent(a)) => {
                    qb.push(" AND assignee_id = ").push_bind(a.to_string());
                }
                None => {}
            }
            if let Some(t) = f.team_id {
                qb.push(" AND team_id = ").push_bind(t.to_string());
            }
            if let Some(c) = f.customer_id {
                qb.push(" AND customer_id = ").push_bind(c.to_string());
            }
            // The SQL form of `AgentScope::may_see`; the story test checks
            // the two agree.
            if let Some(scope) = f.visible_to {
                use trustdesk_core::Role;
                if scope.role != Role::Admin {
                    qb.push(" AND (assignee_id = ").push_bind(scope.agent_id.to_string());
                    if let Some(team) = scope.team_id {
                        qb.push(" OR team_id = ").push_bind(team.to_string());
                    }
                    match scope.role {
                        Role::Supervisor => qb.push(" OR team_id IS NULL)"),
                        _ => qb.push(" OR (team_id IS NULL AND assignee_id IS NULL))"),
                    };
                }
            }
            if let Some(c) = f.category {
                qb.push(" AND category = ").push_bind(c.as_str());
            }
            if let Some(l) = f.language {
                qb.push(" AND language = ").push_bind(l.as_str());
            }
            if let Some(p) = f.priority {
                qb.push(" AND priority = ").push_bind(p.as_str());
            }
            if let Some(u) = f.urgent {
                qb.push(" AND urgent = ").push_bind(u);
            }
            if let Some(label) = &f.label {
                // A label is a slug: no LIKE wildcard can be in it.
                qb.push(" AND labels LIKE ").push_bind(format!("%\"{label}\"%"));
            }
            if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                let pattern = format!("%{}%", crate::rows::like_escape(&text.to_lowercase()));
                qb.push(" AND (LOWER(COALESCE(subject, '')) LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = conversations.id \
                           AND e.kind IN ('message', 'note') AND LOWER(e.payload) LIKE ")
                    .push_bind(pattern)
                    .push(" ESCAPE '\\'))");
            }
            if let Some((at, id)) = f.before {
                qb.push(" AND (updated_at < ")
                    .push_bind(at.0)
                    .push(" OR (updated_at = ")
                    .push_bind(at.0)
                    .push(" AND id < ")
                    .push_bind(id.to_string())
                    .push("))");
            }
            qb.push(" ORDER BY updated_at DESC, id DESC LIMIT ")
                .push_bind(f.effective_limit());
            let rows = qb.build().fetch_all(&mut *conn).await?;
            rows.iter().map(rows::conversation).collect()
        }

        /// Inserts the article, or updates the one with the same locale and
        /// slug (keeping its id and creation time).
        pub(crate) async fn upsert_article(
            conn: &mut $conn,
            draft: &ArticleDraft,
            at: Timestamp,
        ) -> Result<Article> {
            let sql = sqlx::AssertSqlSafe(format!(
                "INSERT INTO articles (id, slug, locale, category, title, body, tags, published, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (locale, slug) DO UPDATE SET category = EXCLUDED.category, \
                   title = EXCLUDED.title, body = EXCLUDED.body, tags = EXCLUDED.tags, \
                   published = EXCLUDED.published, updated_at = EXCLUDED.updated_at \
                 RETURNING {ARTICLE_COLUMNS}"
            ));
            let tags = serde_json::to_string(&draft.tags)
                .map_err(|e| StoreError::Internal(format!("encode tags: {e}")))?;
            let row = sqlx::query(sql)
                .bind(ArticleId::new().to_string())
                .bind(&draft.slug)
                .bind(draft.locale.as_str())
                .bind(draft.category.as_str())
                .bind(&draft.title)
                .bind(&draft.body)
                .bind(tags)
                .bind(draft.published)
                .bind(at.0)
                .fetch_one(&mut *conn)
                .await?;
            rows::article(&row)
        }

        pub(crate) async fn set_article_published(
            conn: &mut $conn,
            id: ArticleId,
            published: bool,
            at: Timestamp,
        ) -> Result<Article> {
            let sql = sqlx::AssertSqlSafe(format!(
                "UPDATE articles SET published = $1, updated_at = $2 WHERE id = $3 RETURNING {ARTICLE_COLUMNS}"
            ));
            let row = sqlx::query(sql)
                .bind(published)
                .bind(at.0)
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(rows::article).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn get_article(conn: &mut $conn, id: ArticleId) -> Result<Article> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = $1"));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::article).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn list_articles(conn: &mut $conn) -> Result<Vec<Article>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY locale, category, title"
            ));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(rows::article).collect()
        }

        pub(crate) async fn bot_outcomes(conn: &mut $conn) -> Result<crate::BotOutcomes> {
            let row = sqlx::query(
                "SELECT \
                   COALESCE(SUM(CASE WHEN kind = 'bot_reply' THEN 1 ELSE 0 END), 0) AS answered, \
                   COALESCE(SUM(CASE WHEN kind = 'status_changed' AND actor_type = 'bot' \
                     AND payload LIKE '%\"to\":\"resolved\"%' THEN 1 ELSE 0 END), 0) AS resolved_by_bot, \
                   COALESCE(SUM(CASE WHEN kind = 'system_notice' \
                     AND payload LIKE '%\"code\":\"handoff%' THEN 1 ELSE 0 END), 0) AS handed_off \
                 FROM events WHERE kind IN ('bot_reply', 'status_changed', 'system_notice')",
            )
            .fetch_one(&mut *conn)
            .await?;
            Ok(crate::BotOutcomes {
                answered: row.int("answered")?,
                resolved_by_bot: row.int("resolved_by_bot")?,
                handed_off: row.int("handed_off")?,
            })
        }

        pub(crate) async fn insert_channel(conn: &mut $conn, c: &crate::OfficialChannel) -> Result<()> {
            sqlx::query("INSERT INTO official_channels (id, kind, value, label, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(c.id.to_string())
                .bind(c.kind.as_str())
                .bind(&c.value)
                .bind(&c.label)
                .bind(c.created_at.0)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Deletes the row of `table` with this id; `NotFound` when none.
        async fn delete_by_id(conn: &mut $conn, table: &'static str, id: String) -> Result<()> {
            let sql = sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE id = $1"));
            let done = sqlx::query(sql).bind(id).execute(&mut *conn).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        }

        pub(crate) async fn delete_channel(conn: &mut $conn, id: trustdesk_core::ChannelId) -> Result<()> {
            delete_by_id(conn, "official_channels", id.to_string()).await
        }

        pub(crate) async fn list_channels(conn: &mut $conn) -> Result<Vec<crate::OfficialChannel>> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {CHANNEL_COLUMNS} FROM official_channels ORDER BY kind, value"));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(rows::channel).collect()
        }

        pub(crate) async fn agent_by_badge(conn: &mut $conn, badge: &str) -> Result<Option<Agent>> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {AGENT_COLUMNS} FROM agents WHERE badge = $1"));
            let row = sqlx::query(sql).bind(badge).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::agent).transpose()
        }

        /// Sets the code unless a proof at least as new already did:
        /// the condition sits on the row update, so two racing uses of one
        /// proof cannot both pass.
        pub(crate) async fn set_anti_phishing_code(
            conn: &mut $conn,
            customer: CustomerId,
            code: &str,
            at: Timestamp,
            proof_issued_at: i64,
        ) -> Result<bool> {
            let done = sqlx::query(
                "INSERT INTO customer_security (customer_id, anti_phishing_code, updated_at, proof_issued_at) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (customer_id) DO UPDATE SET anti_phishing_code = EXCLUDED.anti_phishing_code, \
                 updated_at = EXCLUDED.updated_at, proof_issued_at = EXCLUDED.proof_issued_at \
                 WHERE customer_security.proof_issued_at < EXCLUDED.proof_issued_at",
            )
            .bind(customer.to_string())
            .bind(code)
            .bind(at.0)
            .bind(proof_issued_at)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        pub(crate) async fn anti_phishing_code(conn: &mut $conn, customer: CustomerId) -> Result<Option<String>> {
            let row = sqlx::query("SELECT anti_phishing_code FROM customer_security WHERE customer_id = $1")
                .bind(customer.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            row.map(|r| r.text("anti_phishing_code")).transpose()
        }

        /// Appends to the hash chain. The last entry is read (and, on
        /// PostgreSQL, locked) in the same transaction; two writers racing
        /// for the same seq collide on the primary key instead of forking.
        pub(crate) async fn append_audit(conn: &mut $conn, new: &crate::NewAudit) -> Result<trustdesk_core::audit::AuditEntry> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1{}",
                $lock
            ));
            let last = sqlx::query(sql).fetch_optional(&mut *conn).await?;
            let last = last.as_ref().map(rows::audit).transpose()?;
            let (seq, prev_hash) = match last {
                Some(e) => (e.seq + 1, e.hash),
                None => (1, trustdesk_core::audit::GENESIS.to_owned()),
            };
            let hash = trustdesk_core::audit::entry_hash(&prev_hash, seq, new.at, &new.actor, &new.action, &new.subject, &new.detail);
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(seq)
            .bind(new.at.0)
            .bind(&new.actor)
            .bind(&new.action)
            .bind(&new.subject)
            .bind(&new.detail)
            .bind(&prev_hash)
            .bind(&hash)
            .execute(&mut *conn)
            .await?;
            Ok(trustdesk_core::audit::AuditEntry {
                seq,
                at: new.at,
                actor: new.actor.clone(),
                action: new.action.clone(),
                subject: new.subject.clone(),
                detail: new.detail.clone(),
                prev_hash,
                hash,
            })
        }

        pub(crate) async fn list_audit(conn: &mut $conn) -> Result<Vec<trustdesk_core::audit::AuditEntry>> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq"));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(rows::audit).collect()
        }

        pub(crate) async fn events(
            conn: &mut $conn,
            conversation: ConversationId,
            after: i64,
            audience: Audience,
            limit: u32,
        ) -> Result<Vec<Event>> {
            let only_public = matches!(audience, Audience::Customer);
            let sql = sqlx::AssertSqlSafe(crate::ops::events_after_sql());
            let rows = sqlx::query(sql)
                .bind(conversation.to_string())
                .bind(after)
                .bind(i64::from(only_public))
                .bind(i64::from(limit.max(1)))
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(rows::event).collect()
        }

        /// Conversations opened in `[from, to)`, oldest first, at most
        /// `limit`, each with its whole log (what the team sees), in two
        /// statements whatever the count.
        pub(crate) async fn report_log(
            conn: &mut $conn,
            from: Timestamp,
            to: Timestamp,
            limit: u32,
        ) -> Result<Vec<(Conversation, Vec<Event>)>> {
            let opened = "SELECT id FROM conversations WHERE created_at >= $1 AND created_at < $2 \
                          ORDER BY created_at, id LIMIT $3";
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id IN ({opened}) ORDER BY created_at, id"
            ));
            let conversations: Vec<Conversation> = sqlx::query(sql)
                .bind(from.0)
                .bind(to.0)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(rows::conversation)
                .collect::<Result<_>>()?;
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE conversation_id IN ({opened}) ORDER BY conversation_id, seq"
            ));
            let mut logs: std::collections::HashMap<ConversationId, Vec<Event>> =
                std::collections::HashMap::with_capacity(conversations.len());
            for row in sqlx::query(sql)
                .bind(from.0)
                .bind(to.0)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await?
                .iter()
            {
                let event = rows::event(row)?;
                logs.entry(event.conversation_id).or_default().push(event);
            }
            Ok(conversations
                .into_iter()
                .map(|c| {
                    let log = logs.remove(&c.id).unwrap_or_default();
                    (c, log)
                })
                .collect())
        }

        pub(crate) async fn add_attachment(
            conn: &mut $conn,
            file: &crate::NewAttachment,
            event: NewEvent,
        ) -> Result<Appended> {
            let (uploader_type, uploader_id) = uploader_columns(file);
            sqlx::query(crate::ops::INSERT_ATTACHMENT)
            .bind(file.id.to_string())
            .bind(file.conversation_id.to_string())
            .bind(uploader_type)
            .bind(uploader_id)
            .bind(file.name.as_str())
            .bind(&file.mime)
            .bind(i64::try_from(file.data.len()).unwrap_or(i64::MAX))
            .bind(&file.sha256)
            .bind(&file.data)
            .bind(file.at.0)
            .execute(&mut *conn)
            .await?;
            // The event goes in the same transaction: a file is never stored
            // without the event that shares it, nor the other way round.
            append_event(conn, event).await
        }

        pub(crate) async fn get_attachment(
            conn: &mut $conn,
            id: trustdesk_core::AttachmentId,
        ) -> Result<crate::StoredAttachment> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1"));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::attachment).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn upsert_canned(conn: &mut $conn, c: &crate::CannedResponse) -> Result<crate::CannedResponse> {
            let sql = sqlx::AssertSqlSafe(format!(
                "INSERT INTO canned_responses ({CANNED_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (id) DO UPDATE SET shortcut = excluded.shortcut, title = excluded.title, \
                 body = excluded.body, locale = excluded.locale, updated_at = excluded.updated_at \
                 RETURNING {CANNED_COLUMNS}"
            ));
            let row = sqlx::query(sql)
                .bind(c.id.to_string())
                .bind(&c.shortcut)
                .bind(&c.title)
                .bind(&c.body)
                .bind(c.locale.map(|l| l.to_string()))
                .bind(c.created_by.map(|a| a.to_string()))
                .bind(c.created_at.0)
                .bind(c.updated_at.0)
                .fetch_one(&mut *conn)
                .await?;
            rows::canned(&row)
        }

        pub(crate) async fn get_canned(conn: &mut $conn, id: trustdesk_core::CannedId) -> Result<crate::CannedResponse> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {CANNED_COLUMNS} FROM canned_responses WHERE id = $1"));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(rows::canned).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn delete_canned(conn: &mut $conn, id: trustdesk_core::CannedId) -> Result<()> {
            delete_by_id(conn, "canned_responses", id.to_string()).await
        }

        pub(crate) async fn list_canned(conn: &mut $conn) -> Result<Vec<crate::CannedResponse>> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {CANNED_COLUMNS} FROM canned_responses ORDER BY shortcut"));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(rows::canned).collect()
        }

        pub(crate) async fn csat_summary(conn: &mut $conn) -> Result<crate::CsatSummary> {
            // The score sits in the JSON payload, which both backends keep
            // as text; ratings are few next to messages, so they are decoded
            // here rather than with each backend's JSON operators.
            let mut summary = crate::CsatSummary::default();
            let rows = sqlx::query("SELECT payload FROM events WHERE kind = 'rated'")
                .fetch_all(&mut *conn)
                .await?;
            for row in &rows {
                let payload = row.text("payload")?;
                let kind: trustdesk_core::EventKind = serde_json::from_str(&payload)
                    .map_err(|_| StoreError::Internal("corrupt rating in the database".into()))?;
                if let trustdesk_core::EventKind::Rated { score: score @ 1..=5, .. } = kind {
                    summary.distribution[usize::from(score - 1)] += 1;
                }
            }
            summary.ratings = summary.distribution.iter().sum();
            if summary.ratings > 0 {
                let total: i64 = summary.distribution.iter().zip(1..).map(|(n, s)| n * s).sum();
                let n = summary.ratings as f64;
                summary.average = Some(total as f64 / n);
                summary.satisfied_share = Some((summary.distribution[3] + summary.distribution[4]) as f64 / n);
            }
            Ok(summary)
        }
    };
}

pub(crate) use define_ops;
