//! The scale-out backend: PostgreSQL shared by several nodes.
//!
//! Each write runs in its own transaction from the pool; appends lock the
//! conversation row (`FOR UPDATE`) so two nodes never hand out the same
//! sequence number. PostgreSQL already groups concurrent commits into one
//! WAL flush, so no writer task is needed here.

use crate::commits::CommitWatch;
use crate::prelude::*;
use crate::{
    Appended, Audience, ConversationFilter, Created, NewConversation, Result, Session, Store,
    TotpRecord, VerifiedProfile,
};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use trustdesk_core::kb::{Article, ArticleDraft};
use trustdesk_core::{
    Agent, AgentId, AgentStatus, ArticleId, Conversation, ConversationId, Customer, CustomerId,
    Event, NewEvent, Role, SessionId, Team, Timestamp,
};

mod ops {
    crate::ops::define_ops!(sqlx::Postgres, sqlx::PgConnection, " FOR UPDATE");
}

mod channel_ops {
    crate::ops_channels::define_channel_ops!(sqlx::PgConnection);
}

mod routing_ops {
    crate::ops_routing::define_routing_ops!(sqlx::PgConnection);
}

// `OF d`: only the delivery rows are locked; locking the endpoint row too
// would make a second node skip every delivery of that endpoint.
mod feedback_ops {
    crate::feedback::define_feedback_ops!(sqlx::PgConnection);
}

mod qa_ops {
    crate::ops_qa::define_qa_ops!(sqlx::PgConnection);
}

mod webhook_ops {
    crate::ops_webhooks::define_webhook_ops!(sqlx::PgConnection, " FOR UPDATE OF d SKIP LOCKED");
}

pub struct PgStore {
    pool: PgPool,
    /// For the connections that hold leases (outside the pool: a lease
    /// lives as long as its connection).
    options: PgConnectOptions,
    commits: CommitWatch,
}

impl PgStore {
    /// Connects, runs the migrations and warns when the server is set up to
    /// acknowledge commits that are not on disk.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url.parse::<PgConnectOptions>()?).await
    }

    pub async fn connect_with(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        for setting in ["fsync", "synchronous_commit"] {
            let sql = sqlx::AssertSqlSafe(format!("SHOW {setting}"));
            if let Ok(row) = sqlx::query(sql).fetch_one(&pool).await {
                let value: String = row.try_get(0).unwrap_or_default();
                if value == "off" {
                    tracing::warn!(
                        setting,
                        "PostgreSQL has {setting}=off: acknowledged messages can be lost on a crash"
                    );
                }
            }
        }
        Ok(Self {
            pool,
            options,
            commits: CommitWatch::default(),
        })
    }

    /// Commits a write transaction and tells the observer how long the
    /// `COMMIT` took (the round trip in which PostgreSQL flushes its WAL).
    async fn commit(&self, tx: sqlx::Transaction<'_, sqlx::Postgres>) -> Result<()> {
        self.commit_carrying(tx, 1).await
    }

    /// Like `commit`, for a transaction that carried `writes` writes.
    async fn commit_carrying(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        writes: usize,
    ) -> Result<()> {
        let started = std::time::Instant::now();
        tx.commit().await?;
        self.commits.committed(writes, started.elapsed());
        Ok(())
    }
}

macro_rules! read {
    ($self:ident, $op:ident($($arg:expr),*)) => {{
        let mut conn = $self.pool.acquire().await?;
        ops::$op(&mut conn, $($arg),*).await
    }};
}

macro_rules! read_routing {
    ($self:ident, $op:ident($($arg:expr),*)) => {{
        let mut conn = $self.pool.acquire().await?;
        routing_ops::$op(&mut conn, $($arg),*).await
    }};
}

macro_rules! write {
    ($self:ident, $op:ident($($arg:expr),*)) => {{
        let mut tx = $self.pool.begin().await?;
        let out = ops::$op(&mut tx, $($arg),*).await?;
        $self.commit(tx).await?;
        Ok(out)
    }};
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn watch_commits(&self, observer: std::sync::Arc<dyn crate::CommitObserver>) {
        self.commits.set(observer);
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl ConversationStore for PgStore {
    async fn create_conversation(
        &self,
        conversation: &NewConversation,
        opening: Vec<NewEvent>,
    ) -> Result<Created> {
        write!(self, create_conversation(conversation, opening))
    }

    async fn get_conversation(&self, id: ConversationId) -> Result<Conversation> {
        read!(self, get_conversation(id))
    }

    async fn list_conversations(&self, filter: &ConversationFilter) -> Result<Vec<Conversation>> {
        read!(self, list_conversations(filter))
    }

    async fn append_event(&self, event: NewEvent) -> Result<Appended> {
        write!(self, append_event(event))
    }

    async fn events(
        &self,
        conversation: ConversationId,
        after: i64,
        audience: Audience,
        limit: u32,
    ) -> Result<Vec<Event>> {
        read!(self, events(conversation, after, audience, limit))
    }

    async fn bot_outcomes(&self) -> Result<crate::BotOutcomes> {
        read!(self, bot_outcomes())
    }

    async fn report_log(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<(Conversation, Vec<Event>)>> {
        read!(self, report_log(from, to, limit))
    }

    async fn csat_summary(&self) -> Result<crate::CsatSummary> {
        read!(self, csat_summary())
    }

    async fn add_attachment(
        &self,
        file: &crate::NewAttachment,
        event: NewEvent,
    ) -> Result<Appended> {
        write!(self, add_attachment(file, event))
    }

    async fn get_attachment(
        &self,
        id: trustdesk_core::AttachmentId,
    ) -> Result<crate::StoredAttachment> {
        read!(self, get_attachment(id))
    }

    async fn active_conversations(&self) -> Result<Vec<Conversation>> {
        read_routing!(self, active_conversations())
    }
}

#[async_trait]
impl AccountStore for PgStore {
    async fn create_team(&self, team: &Team) -> Result<()> {
        write!(self, insert_team(team))
    }

    async fn list_teams(&self) -> Result<Vec<Team>> {
        read!(self, list_teams())
    }

    async fn create_agent(&self, agent: &Agent, password_hash: &str) -> Result<()> {
        write!(self, insert_agent(agent, password_hash))
    }

    async fn get_agent(&self, id: AgentId) -> Result<Agent> {
        read!(self, get_agent(id))
    }

    async fn agent_credentials(&self, email: &str) -> Result<Option<(Agent, String)>> {
        read!(self, agent_credentials(email))
    }

    async fn list_agents(&self) -> Result<Vec<Agent>> {
        read!(self, list_agents())
    }

    async fn create_customer(&self, customer: &Customer) -> Result<()> {
        write!(self, insert_customer(customer))
    }

    async fn upsert_verified_customer(&self, profile: &VerifiedProfile) -> Result<Customer> {
        write!(self, upsert_verified_customer(profile))
    }

    async fn get_customer(&self, id: CustomerId) -> Result<Customer> {
        read!(self, get_customer(id))
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        write!(self, insert_session(session))
    }

    async fn session_by_token_hash(&self, token_hash: &[u8]) -> Result<Option<Session>> {
        read!(self, session_by_token_hash(token_hash))
    }

    async fn revoke_session(&self, id: SessionId, at: Timestamp) -> Result<()> {
        write!(self, revoke_session(id, at))
    }

    async fn revoke_agent_sessions(
        &self,
        agent: AgentId,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<Vec<SessionId>> {
        write!(self, revoke_agent_sessions(agent, keep, at))
    }

    async fn get_session(&self, id: SessionId) -> Result<Session> {
        read!(self, get_session(id))
    }

    async fn list_api_tokens(&self, agent: AgentId) -> Result<Vec<Session>> {
        read!(self, list_api_tokens(agent))
    }

    async fn ended_sessions(&self, ids: &[SessionId], now: Timestamp) -> Result<Vec<SessionId>> {
        read!(self, ended_sessions(ids, now))
    }

    async fn set_agent_password(&self, agent: AgentId, password_hash: String) -> Result<()> {
        write!(self, set_agent_password(agent, password_hash))
    }

    async fn set_agent_status(&self, agent: AgentId, status: AgentStatus) -> Result<()> {
        write!(self, set_agent_status(agent, status))
    }

    async fn set_agent_role(&self, agent: AgentId, role: Role) -> Result<()> {
        write!(self, set_agent_role(agent, role))
    }

    async fn get_totp(&self, agent: AgentId) -> Result<Option<TotpRecord>> {
        read!(self, get_totp(agent))
    }

    async fn begin_totp(&self, agent: AgentId, secret: String, at: Timestamp) -> Result<()> {
        write!(self, begin_totp(agent, secret, at))
    }

    async fn confirm_totp(
        &self,
        agent: AgentId,
        step: i64,
        recovery_hashes: Vec<Vec<u8>>,
        at: Timestamp,
    ) -> Result<()> {
        write!(self, confirm_totp(agent, step, recovery_hashes, at))
    }

    async fn consume_totp_step(&self, agent: AgentId, step: i64) -> Result<bool> {
        write!(self, consume_totp_step(agent, step))
    }

    async fn consume_recovery_code(
        &self,
        agent: AgentId,
        code_hash: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool> {
        write!(self, consume_recovery_code(agent, code_hash, at))
    }

    async fn recovery_codes_left(&self, agent: AgentId) -> Result<i64> {
        read!(self, recovery_codes_left(agent))
    }

    async fn reset_totp(&self, agent: AgentId) -> Result<()> {
        write!(self, reset_totp(agent))
    }

    async fn agent_by_badge(&self, badge: &str) -> Result<Option<Agent>> {
        read!(self, agent_by_badge(badge))
    }

    async fn set_anti_phishing_code(
        &self,
        customer: CustomerId,
        code: &str,
        at: Timestamp,
        proof_issued_at: i64,
    ) -> Result<bool> {
        write!(
            self,
            set_anti_phishing_code(customer, code, at, proof_issued_at)
        )
    }

    async fn anti_phishing_code(&self, customer: CustomerId) -> Result<Option<String>> {
        read!(self, anti_phishing_code(customer))
    }

    async fn append_audit(
        &self,
        entry: &crate::NewAudit,
    ) -> Result<trustdesk_core::audit::AuditEntry> {
        write!(self, append_audit(entry))
    }

    async fn list_audit(&self) -> Result<Vec<trustdesk_core::audit::AuditEntry>> {
        read!(self, list_audit())
    }
}

#[async_trait]
impl DeskSettingsStore for PgStore {
    async fn add_channel(&self, channel: &crate::OfficialChannel) -> Result<()> {
        write!(self, insert_channel(channel))
    }

    async fn delete_channel(&self, id: trustdesk_core::ChannelId) -> Result<()> {
        write!(self, delete_channel(id))
    }

    async fn list_channels(&self) -> Result<Vec<crate::OfficialChannel>> {
        read!(self, list_channels())
    }

    async fn upsert_canned(&self, canned: &crate::CannedResponse) -> Result<crate::CannedResponse> {
        write!(self, upsert_canned(canned))
    }

    async fn get_canned(&self, id: trustdesk_core::CannedId) -> Result<crate::CannedResponse> {
        read!(self, get_canned(id))
    }

    async fn delete_canned(&self, id: trustdesk_core::CannedId) -> Result<()> {
        write!(self, delete_canned(id))
    }

    async fn list_canned(&self) -> Result<Vec<crate::CannedResponse>> {
        read!(self, list_canned())
    }

    async fn routing_profiles(&self) -> Result<Vec<crate::RoutingProfile>> {
        read_routing!(self, routing_profiles())
    }

    async fn set_routing_profile(
        &self,
        profile: &crate::RoutingProfile,
        languages: Option<Vec<trustdesk_core::Language>>,
        team: Option<Option<trustdesk_core::TeamId>>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out =
            routing_ops::set_routing_profile(&mut tx, profile, languages.as_deref(), team).await?;
        self.commit(tx).await?;
        Ok(out)
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        read_routing!(self, get_setting(key))
    }

    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = routing_ops::put_setting(&mut tx, key, value, at).await?;
        self.commit(tx).await?;
        Ok(out)
    }

    async fn list_calendars(&self) -> Result<Vec<(String, String)>> {
        read_routing!(self, list_calendars())
    }

    async fn put_calendar(&self, name: &str, spec: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = routing_ops::put_calendar(&mut tx, name, spec, at).await?;
        self.commit(tx).await?;
        Ok(out)
    }

    async fn delete_calendar(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = routing_ops::delete_calendar(&mut tx, name).await?;
        self.commit(tx).await?;
        Ok(out)
    }
}

#[async_trait]
impl KbStore for PgStore {
    async fn upsert_article(&self, draft: &ArticleDraft, at: Timestamp) -> Result<Article> {
        write!(self, upsert_article(draft, at))
    }

    async fn set_article_published(
        &self,
        id: ArticleId,
        published: bool,
        at: Timestamp,
    ) -> Result<Article> {
        write!(self, set_article_published(id, published, at))
    }

    async fn get_article(&self, id: ArticleId) -> Result<Article> {
        read!(self, get_article(id))
    }

    async fn list_articles(&self) -> Result<Vec<Article>> {
        read!(self, list_articles())
    }
}

#[async_trait]
impl TimerStore for PgStore {
    async fn put_timer(&self, timer: &crate::Timer) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = routing_ops::put_timer(&mut tx, timer).await?;
        self.commit(tx).await?;
        Ok(out)
    }

    async fn delete_timer(
        &self,
        conversation: ConversationId,
        kind: &trustdesk_core::timer::TimerKind,
        due_at: Option<Timestamp>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = routing_ops::delete_timer(&mut tx, conversation, kind, due_at).await?;
        self.commit(tx).await?;
        Ok(out)
    }

    async fn due_timers(&self, now: Timestamp, limit: u32) -> Result<Vec<crate::Timer>> {
        read_routing!(self, due_timers(now, i64::from(limit.max(1))))
    }

    async fn next_timer_at(&self) -> Result<Option<Timestamp>> {
        read_routing!(self, next_timer_at())
    }

    async fn put_sla_state(
        &self,
        conversation: ConversationId,
        state: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = routing_ops::put_sla_state(&mut tx, conversation, state, at).await?;
        self.commit(tx).await?;
        Ok(out)
    }

    async fn save_sla(&self, saves: &[crate::SlaSave], at: Timestamp) -> Result<()> {
        if saves.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for save in saves {
            if let Some(state) = &save.state {
                routing_ops::put_sla_state(&mut tx, save.conversation, state, at).await?;
            }
            match save.timer {
                Some(crate::SlaTimerChange::Put(due_at)) => {
                    let timer = crate::Timer {
                        conversation_id: save.conversation,
                        kind: trustdesk_core::timer::TimerKind::Sla,
                        due_at,
                    };
                    routing_ops::put_timer(&mut tx, &timer).await?;
                }
                Some(crate::SlaTimerChange::Delete) => {
                    routing_ops::delete_timer(
                        &mut tx,
                        save.conversation,
                        &trustdesk_core::timer::TimerKind::Sla,
                        None,
                    )
                    .await?;
                }
                None => {}
            }
        }
        self.commit_carrying(tx, saves.len()).await
    }

    async fn sla_state(&self, conversation: ConversationId) -> Result<Option<String>> {
        read_routing!(self, sla_state(conversation))
    }
}

crate::ops_channels::impl_channel_store!(PgStore);

impl PgStore {
    fn read_pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `work` in one transaction, committed when it succeeds (the
    /// shape the SQLite writer's rare writes have, so the channel store is
    /// written once for both).
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c mut sqlx::PgConnection,
            ) -> futures_util::future::BoxFuture<'c, Result<T>>
            + Send
            + 'static,
    {
        let mut tx = self.pool.begin().await?;
        let out = work(&mut tx).await?;
        self.commit(tx).await?;
        Ok(out)
    }
}

crate::ops_webhooks::impl_webhook_store!(PgStore);
crate::ops_qa::impl_qa_store!(PgStore);
crate::feedback::impl_feedback_store!(PgStore);

/// A lease held by a session-level advisory lock on its own connection.
struct PgLease {
    conn: sqlx::PgConnection,
}

#[async_trait]
impl crate::Lease for PgLease {
    async fn held(&mut self) -> bool {
        let ping = sqlx::query("SELECT 1").execute(&mut self.conn);
        matches!(
            tokio::time::timeout(std::time::Duration::from_secs(2), ping).await,
            Ok(Ok(_))
        )
    }
}

#[async_trait]
impl crate::LeaseStore for PgStore {
    async fn try_lease(&self, name: &str) -> Result<Option<Box<dyn crate::Lease>>> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&self.options).await?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(crate::lease::lock_key(name))
            .fetch_one(&mut conn)
            .await?;
        if taken {
            Ok(Some(Box::new(PgLease { conn })))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }
}

#[async_trait]
impl crate::RateStore for PgStore {
    async fn take_token(&self, key: &[u8], per_minute: u32) -> Result<Option<bool>> {
        let granted: bool = sqlx::query_scalar(crate::rate::TAKE_TOKEN)
            .bind(key)
            .bind(i64::from(per_minute))
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(granted))
    }

    async fn purge_rate_buckets(&self) -> Result<u64> {
        let done = sqlx::query(crate::rate::PURGE).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
