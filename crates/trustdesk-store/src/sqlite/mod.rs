//! The embedded backend: one SQLite file in WAL mode.
//!
//! Conversations, events and the other writes of the message path go
//! through a single writer thread (`writer`) that owns the write connection
//! and commits in groups: one fsync covers every write that queued up while
//! the previous commit ran. Rare writes (agents, settings, the knowledge
//! base, audit) run their shared async SQL on a second connection during a
//! turn the writer hands over. Reads go to a pool of read-only connections,
//! which WAL lets run beside the writer.

use crate::prelude::*;
use crate::{
    Appended, Audience, ConversationFilter, Created, NewConversation, Result, Session, Store,
    StoreError, TotpRecord, VerifiedProfile,
};
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};
use trustdesk_core::kb::{Article, ArticleDraft};
use trustdesk_core::{
    Agent, AgentId, AgentStatus, ArticleId, Conversation, ConversationId, Customer, CustomerId,
    Event, NewEvent, Role, SessionId, Team, Timestamp,
};

mod checkpoint;
mod statements;
mod writer;

use crate::commits::CommitWatch;
use writer::{Job, Reply, Writer, run_writer, writer_gone};

// The writer thread runs its own statements for the message path (see
// `statements`); the shared ops it leaves unused serve PostgreSQL.
#[allow(dead_code)]
mod ops {
    crate::ops::define_ops!(sqlx::Sqlite, sqlx::SqliteConnection, "");
}

mod channel_ops {
    crate::ops_channels::define_channel_ops!(sqlx::SqliteConnection);
}

#[allow(dead_code)]
mod routing_ops {
    crate::ops_routing::define_routing_ops!(sqlx::SqliteConnection);
}

mod feedback_ops {
    crate::feedback::define_feedback_ops!(sqlx::SqliteConnection);
}

mod qa_ops {
    crate::ops_qa::define_qa_ops!(sqlx::SqliteConnection);
}

mod webhook_ops {
    crate::ops_webhooks::define_webhook_ops!(sqlx::SqliteConnection, "");
}

/// The log is copied back once it holds this many pages (64 MiB of 4 KiB
/// pages) and started over at twice that; SQLite's own default is 1,000,
/// in the commit. Each start-over stalls the writer for one small copy and
/// an fsync of the database file (tens of ms on a busy VM), so the longer
/// the log, the rarer the stall (BENCHMARKS.md, issue 18).
pub const DEFAULT_CHECKPOINT_PAGES: u32 = 16384;

/// Tuning of the embedded backend.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// Read-only connections beside the writer.
    pub readers: u32,
    /// Most jobs in one write transaction.
    pub max_batch: usize,
    /// How long the writer lingers for more jobs before a commit when it
    /// is under load (its previous batch held more than one job); a lone
    /// write when idle is committed at once. Each commit is an fsync, so
    /// under load a short linger buys many writes per fsync for at most
    /// this much latency. Zero never lingers: batches then hold what queued
    /// up while the previous commit ran.
    pub batch_window: Duration,
    /// The write-ahead log's size (in pages) at which it is copied back
    /// into the database file, in the background (see `checkpoint`); 0
    /// keeps SQLite's own policy (in the commit, past 1,000 pages).
    pub checkpoint_pages: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            readers: 4,
            max_batch: 512,
            batch_window: Duration::from_millis(2),
            checkpoint_pages: DEFAULT_CHECKPOINT_PAGES,
        }
    }
}

pub struct SqliteStore {
    readers: SqlitePool,
    jobs: mpsc::Sender<Job>,
    /// The connection for rare writes; used only during a writer's turn.
    rare_writes: Mutex<SqliteConnection>,
    commits: CommitWatch,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file, runs the migrations
    /// and starts the writer thread.
    pub async fn open(path: &Path, options: SqliteOptions) -> Result<Self> {
        let base = SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .log_statements(tracing::log::LevelFilter::Trace);
        let mut rare_writes = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Acknowledged means on disk: every commit is fsynced.
            .synchronous(SqliteSynchronous::Full)
            // Its commits (rare writes) never checkpoint either: the copy
            // back is `checkpoint`'s, off the write path.
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut rare_writes)
            .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(options.readers.max(1))
            // A local file does not go stale like a network connection;
            // the ping on acquire was one more round trip to the SQLite
            // thread on every read (sqlx still pings on release).
            .test_before_acquire(false)
            .connect_with(base.read_only(true))
            .await?;
        let commits = CommitWatch::default();
        let writer = Writer::open(path, commits.clone(), &options)?;
        let (jobs, queue) = mpsc::channel(options.max_batch * 4);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(writer, queue, options))
            .map_err(|e| StoreError::Internal(format!("start the writer thread: {e}")))?;
        Ok(Self {
            readers,
            jobs,
            rare_writes: Mutex::new(rare_writes),
            commits,
        })
    }

    /// Runs `work` (the shared async SQL) in a transaction of its own on
    /// the rare-writes connection, during a turn the writer thread hands
    /// over, and returns once it is committed.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (turn_tx, turn_rx) = oneshot::channel();
        self.jobs
            .send(Job::Exclusive(turn_tx))
            .await
            .map_err(|_| writer_gone())?;
        // Held to the end: dropping it (also on cancellation) ends the turn.
        let _turn = turn_rx.await.map_err(|_| writer_gone())?;
        let mut conn = self.rare_writes.lock().await;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        match work(&mut tx).await {
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
            Err(e) => {
                // Rolled back while the turn is held: dropping `tx` would
                // only queue the rollback, and the writer could find the
                // write lock still taken when it resumes.
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rare write: rollback failed");
                }
                Err(e)
            }
        }
    }

    /// Runs `work` on the writer thread inside the next group commit and
    /// returns its result once the commit is durable. Everything that
    /// writes a conversation row goes through here so the writer's copy of
    /// the row stays true. The work opens its own savepoint (see
    /// `Writer::in_savepoint`) unless it is a single atomic statement.
    async fn write_on_writer<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Writer) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T>>();
        let job = Job::Write(Box::new(move |writer| {
            let outcome = work(writer);
            let ok = outcome.is_ok();
            let reply: Reply = Box::new(move |commit_error| {
                let result = match commit_error {
                    None => outcome,
                    Some(e) => Err(StoreError::Internal(format!("commit failed: {e}"))),
                };
                let _ = tx.send(result);
            });
            (ok, reply)
        }));
        self.jobs.send(job).await.map_err(|_| writer_gone())?;
        rx.await.map_err(|_| writer_gone())?
    }

    /// Like `write_on_writer`, for work that writes with a single
    /// statement (an insert, an upsert): it needs no savepoint of its own.
    async fn write_one<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        self.write_on_writer(move |writer| writer.single_statement(work))
            .await
    }
}

macro_rules! read {
    ($self:ident, $op:ident($($arg:expr),*)) => {{
        let mut conn = $self.readers.acquire().await?;
        ops::$op(&mut conn, $($arg),*).await
    }};
}

macro_rules! read_routing {
    ($self:ident, $op:ident($($arg:expr),*)) => {{
        let mut conn = $self.readers.acquire().await?;
        routing_ops::$op(&mut conn, $($arg),*).await
    }};
}

macro_rules! write {
    ($self:ident, $op:ident($($arg:ident),*)) => {{
        $self
            .write(move |conn| Box::pin(async move { ops::$op(conn, $($arg),*).await }))
            .await
    }};
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn watch_commits(&self, observer: Arc<dyn crate::CommitObserver>) {
        self.commits.set(observer);
    }

    async fn ping(&self) -> Result<()> {
        // A store whose writer thread is gone cannot take a write.
        if self.jobs.is_closed() {
            return Err(writer_gone());
        }
        let mut conn = self.readers.acquire().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn create_conversation(
        &self,
        conversation: &NewConversation,
        opening: Vec<NewEvent>,
    ) -> Result<Created> {
        let conversation = conversation.clone();
        self.write_on_writer(move |writer| {
            let created = writer.in_savepoint(|w| {
                statements::create_conversation(w.conn(), &conversation, opening)
            })?;
            writer.remember(&created.conversation);
            Ok(created)
        })
        .await
    }

    async fn get_conversation(&self, id: ConversationId) -> Result<Conversation> {
        read!(self, get_conversation(id))
    }

    async fn list_conversations(&self, filter: &ConversationFilter) -> Result<Vec<Conversation>> {
        read!(self, list_conversations(filter))
    }

    async fn append_event(&self, event: NewEvent) -> Result<Appended> {
        self.write_on_writer(move |writer| writer.append(event))
            .await
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
        let file = file.clone();
        self.write_on_writer(move |writer| {
            writer.in_savepoint(move |w| {
                let appended = statements::add_attachment(w.conn(), &file, event)?;
                w.remember(&appended.conversation);
                Ok(appended)
            })
        })
        .await
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
impl AccountStore for SqliteStore {
    async fn create_team(&self, team: &Team) -> Result<()> {
        let team = team.clone();
        self.write(move |conn| Box::pin(async move { ops::insert_team(conn, &team).await }))
            .await
    }

    async fn list_teams(&self) -> Result<Vec<Team>> {
        read!(self, list_teams())
    }

    async fn create_agent(&self, agent: &Agent, password_hash: &str) -> Result<()> {
        let (agent, hash) = (agent.clone(), password_hash.to_owned());
        self.write(move |conn| {
            Box::pin(async move { ops::insert_agent(conn, &agent, &hash).await })
        })
        .await
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
        let customer = customer.clone();
        self.write_one(move |conn| statements::insert_customer(conn, &customer))
            .await
    }

    async fn upsert_verified_customer(&self, profile: &VerifiedProfile) -> Result<Customer> {
        let profile = profile.clone();
        self.write(move |conn| {
            Box::pin(async move { ops::upsert_verified_customer(conn, &profile).await })
        })
        .await
    }

    async fn get_customer(&self, id: CustomerId) -> Result<Customer> {
        read!(self, get_customer(id))
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let session = session.clone();
        self.write_one(move |conn| statements::insert_session(conn, &session))
            .await
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
        let code = code.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                ops::set_anti_phishing_code(conn, customer, &code, at, proof_issued_at).await
            })
        })
        .await
    }

    async fn anti_phishing_code(&self, customer: CustomerId) -> Result<Option<String>> {
        read!(self, anti_phishing_code(customer))
    }

    async fn append_audit(
        &self,
        entry: &crate::NewAudit,
    ) -> Result<trustdesk_core::audit::AuditEntry> {
        let entry = entry.clone();
        self.write(move |conn| Box::pin(async move { ops::append_audit(conn, &entry).await }))
            .await
    }

    async fn list_audit(&self) -> Result<Vec<trustdesk_core::audit::AuditEntry>> {
        read!(self, list_audit())
    }
}

#[async_trait]
impl DeskSettingsStore for SqliteStore {
    async fn add_channel(&self, channel: &crate::OfficialChannel) -> Result<()> {
        let channel = channel.clone();
        self.write(move |conn| Box::pin(async move { ops::insert_channel(conn, &channel).await }))
            .await
    }

    async fn delete_channel(&self, id: trustdesk_core::ChannelId) -> Result<()> {
        write!(self, delete_channel(id))
    }

    async fn list_channels(&self) -> Result<Vec<crate::OfficialChannel>> {
        read!(self, list_channels())
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
        let profile = profile.clone();
        self.write(move |conn| {
            Box::pin(async move {
                routing_ops::set_routing_profile(conn, &profile, languages.as_deref(), team).await
            })
        })
        .await
    }

    async fn upsert_canned(&self, canned: &crate::CannedResponse) -> Result<crate::CannedResponse> {
        let canned = canned.clone();
        self.write(move |conn| Box::pin(async move { ops::upsert_canned(conn, &canned).await }))
            .await
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

    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        read_routing!(self, get_setting(key))
    }

    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()> {
        let key = key.to_owned();
        let value = value.to_owned();
        self.write(move |conn| {
            Box::pin(async move { routing_ops::put_setting(conn, &key, &value, at).await })
        })
        .await
    }

    async fn list_calendars(&self) -> Result<Vec<(String, String)>> {
        read_routing!(self, list_calendars())
    }

    async fn put_calendar(&self, name: &str, spec: &str, at: Timestamp) -> Result<()> {
        let name = name.to_owned();
        let spec = spec.to_owned();
        self.write(move |conn| {
            Box::pin(async move { routing_ops::put_calendar(conn, &name, &spec, at).await })
        })
        .await
    }

    async fn delete_calendar(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |conn| {
            Box::pin(async move { routing_ops::delete_calendar(conn, &name).await })
        })
        .await
    }
}

#[async_trait]
impl KbStore for SqliteStore {
    async fn upsert_article(&self, draft: &ArticleDraft, at: Timestamp) -> Result<Article> {
        let draft = draft.clone();
        self.write(move |conn| Box::pin(async move { ops::upsert_article(conn, &draft, at).await }))
            .await
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
impl TimerStore for SqliteStore {
    async fn put_timer(&self, timer: &crate::Timer) -> Result<()> {
        let timer = timer.clone();
        self.write_one(move |conn| statements::put_timer(conn, &timer))
            .await
    }

    async fn delete_timer(
        &self,
        conversation: ConversationId,
        kind: &trustdesk_core::timer::TimerKind,
        due_at: Option<Timestamp>,
    ) -> Result<()> {
        let kind = kind.clone();
        self.write_one(move |conn| statements::delete_timer(conn, conversation, &kind, due_at))
            .await
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
        let state = state.to_owned();
        self.write_one(move |conn| statements::put_sla_state(conn, conversation, &state, at))
            .await
    }

    async fn save_sla(&self, saves: &[crate::SlaSave], at: Timestamp) -> Result<()> {
        if saves.is_empty() {
            return Ok(());
        }
        let saves = saves.to_vec();
        self.write_on_writer(move |writer| {
            writer.in_savepoint(move |w| {
                for save in &saves {
                    statements::save_sla(w.conn(), save, at)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn sla_state(&self, conversation: ConversationId) -> Result<Option<String>> {
        read_routing!(self, sla_state(conversation))
    }
}

crate::ops_channels::impl_channel_store!(SqliteStore);

impl SqliteStore {
    fn read_pool(&self) -> &sqlx::SqlitePool {
        &self.readers
    }
}

crate::ops_webhooks::impl_webhook_store!(SqliteStore);
crate::ops_qa::impl_qa_store!(SqliteStore);
crate::feedback::impl_feedback_store!(SqliteStore);

#[async_trait]
impl crate::LeaseStore for SqliteStore {
    async fn try_lease(&self, _name: &str) -> Result<Option<Box<dyn crate::Lease>>> {
        Ok(Some(Box::new(crate::lease::OnlyNode)))
    }
}

/// One node: the caller counts in memory (see `crate::rate`).
#[async_trait]
impl crate::RateStore for SqliteStore {
    async fn take_token(&self, _key: &[u8], _per_minute: u32) -> Result<Option<bool>> {
        Ok(None)
    }

    async fn purge_rate_buckets(&self) -> Result<u64> {
        Ok(0)
    }
}
