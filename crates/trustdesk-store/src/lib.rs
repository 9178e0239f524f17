//! trustdesk-store: persistence behind one [`Store`] trait, the sum of one
//! trait per feature ([`ConversationStore`], [`AccountStore`],
//! [`DeskSettingsStore`], [`KbStore`], [`TimerStore`], [`ChannelStore`],
//! [`WebhookStore`], [`LeaseStore`], [`RateStore`]) that each backend
//! implements.
//!
//! Two backends implement it: SQLite (the embedded default: a file in the
//! data folder, WAL, one writer task with group commit) and PostgreSQL (for
//! several nodes). Both run their own embedded migrations at open. The
//! server only ever sees `Arc<dyn Store>`.

mod append;
mod channels;
mod commits;
mod feedback;
mod lease;
mod ops;
mod ops_channels;
mod ops_qa;
mod ops_routing;
mod ops_webhooks;
mod postgres;
mod qa;
mod rate;
mod rows;
mod sqlite;
pub mod testing;
mod types;
mod webhooks;

pub use append::ASSIGNED_MEANWHILE;
pub use channels::*;
pub use commits::CommitObserver;
pub use feedback::{Feedback, FeedbackKind, FeedbackSource, FeedbackStore};
pub use lease::{Lease, LeaseStore};
pub use postgres::PgStore;
pub use qa::{QaAssignment, QaStore, StoredReview};
pub use rate::RateStore;
pub use sqlite::{SqliteOptions, SqliteStore};
pub use types::*;
pub use webhooks::*;

/// The store traits, for `use trustdesk_store::prelude::*;` where a module
/// calls store methods through `Arc<dyn Store>`.
pub mod prelude {
    pub use crate::{
        AccountStore, ChannelStore, ConversationStore, DeskSettingsStore, KbStore, LeaseStore,
        RateStore, Store, TimerStore, WebhookStore,
    };
}

use async_trait::async_trait;
use std::sync::Arc;
use trustdesk_core::kb::{Article, ArticleDraft};
use trustdesk_core::{
    Agent, AgentId, AgentStatus, ArticleId, Conversation, ConversationId, Customer, CustomerId,
    Event, NewEvent, Role, SessionId, Team, Timestamp,
};

/// Why a store operation failed. `NotFound` and `Conflict` are expected
/// outcomes the caller maps to 404 / 409; `Internal` carries text for the
/// log only, never for a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("store unavailable: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict("already exists")
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::Conflict("refers to a missing record")
            }
            _ => StoreError::Internal(err.to_string()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &err {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(e, _)
                if e.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::Conflict("already exists")
            }
            rusqlite::Error::SqliteFailure(e, _)
                if e.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                StoreError::Conflict("refers to a missing record")
            }
            _ => StoreError::Internal(err.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Internal(format!("migration failed: {err}"))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything trustdesk keeps. Implementations must make each method atomic:
/// a failed call leaves nothing half-written.
#[async_trait]
pub trait Store:
    ConversationStore
    + AccountStore
    + DeskSettingsStore
    + KbStore
    + TimerStore
    + ChannelStore
    + WebhookStore
    + QaStore
    + FeedbackStore
    + LeaseStore
    + RateStore
    + Send
    + Sync
    + 'static
{
    /// "sqlite" or "postgres", for logs and /healthz.
    fn backend(&self) -> &'static str;

    /// A cheap round trip to the database, for health checks.
    async fn ping(&self) -> Result<()>;

    /// Reports every commit of conversation writes to `observer` from now
    /// on (the metrics' commit latency and batch size).
    fn watch_commits(&self, observer: Arc<dyn CommitObserver>);
}

/// Conversations, their ordered event log, attachments, and the
/// reporting read off them.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Creates a conversation and, atomically, its opening events. When
    /// `conversation.origin_client_id` repeats for the same customer, the
    /// existing conversation is returned with `duplicate = true` and
    /// nothing is written.
    async fn create_conversation(
        &self,
        conversation: &NewConversation,
        opening: Vec<NewEvent>,
    ) -> Result<Created>;

    async fn get_conversation(&self, id: ConversationId) -> Result<Conversation>;

    async fn list_conversations(&self, filter: &ConversationFilter) -> Result<Vec<Conversation>>;

    /// Appends one event, assigns its sequence number and folds it into the
    /// conversation row in one transaction. Idempotent on
    /// `client_msg_id`: the same request again returns the stored event with
    /// `duplicate = true`; the same id with a different body is `Conflict`.
    async fn append_event(&self, event: NewEvent) -> Result<Appended>;

    /// Events with `seq > after`, in order, at most `limit`.
    async fn events(
        &self,
        conversation: ConversationId,
        after: i64,
        audience: Audience,
        limit: u32,
    ) -> Result<Vec<Event>>;

    /// Open, pending and snoozed conversations, oldest first.
    async fn active_conversations(&self) -> Result<Vec<Conversation>>;

    async fn bot_outcomes(&self) -> Result<BotOutcomes>;

    /// Conversations opened in `[from, to)`, oldest first, at most
    /// `limit`, each with its whole event log (the team's audience), for
    /// the reports.
    async fn report_log(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<(Conversation, Vec<Event>)>>;

    async fn csat_summary(&self) -> Result<CsatSummary>;

    /// Stores the file and appends the event that shares it, atomically.
    async fn add_attachment(&self, file: &NewAttachment, event: NewEvent) -> Result<Appended>;

    async fn get_attachment(&self, id: trustdesk_core::AttachmentId) -> Result<StoredAttachment>;
}

/// Agents, teams, customers, sessions and API tokens, the second factor, the
/// customer's anti-phishing code, and the audit log.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_team(&self, team: &Team) -> Result<()>;

    async fn list_teams(&self) -> Result<Vec<Team>>;

    /// Fails with `Conflict` when the email or badge is taken.
    async fn create_agent(&self, agent: &Agent, password_hash: &str) -> Result<()>;

    async fn get_agent(&self, id: AgentId) -> Result<Agent>;

    /// The agent and its password hash, by email (case-insensitive).
    async fn agent_credentials(&self, email: &str) -> Result<Option<(Agent, String)>>;

    async fn list_agents(&self) -> Result<Vec<Agent>>;

    async fn create_customer(&self, customer: &Customer) -> Result<()>;

    /// The customer with this verified external id, created on first sight;
    /// name/email/locale are refreshed when given.
    async fn upsert_verified_customer(&self, profile: &VerifiedProfile) -> Result<Customer>;

    async fn get_customer(&self, id: CustomerId) -> Result<Customer>;

    async fn create_session(&self, session: &Session) -> Result<()>;

    /// The session for a token hash, if it exists (revoked or expired ones
    /// included: the caller decides, so it can say why).
    async fn session_by_token_hash(&self, token_hash: &[u8]) -> Result<Option<Session>>;

    async fn revoke_session(&self, id: SessionId, at: Timestamp) -> Result<()>;

    /// Revokes every live session of an agent except `keep`; returns the
    /// revoked ids so open connections can be closed.
    async fn revoke_agent_sessions(
        &self,
        agent: AgentId,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<Vec<SessionId>>;

    /// One session (or API token) by id.
    async fn get_session(&self, id: SessionId) -> Result<Session>;

    /// Of `ids`, the sessions that no longer open anything at `now`
    /// (revoked, expired, deleted, or an agent's who is no longer active):
    /// one query for every socket a node holds open.
    async fn ended_sessions(&self, ids: &[SessionId], now: Timestamp) -> Result<Vec<SessionId>>;

    /// An agent's API tokens, revoked ones included.
    async fn list_api_tokens(&self, agent: AgentId) -> Result<Vec<Session>>;

    async fn set_agent_password(&self, agent: AgentId, password_hash: String) -> Result<()>;

    async fn set_agent_status(&self, agent: AgentId, status: AgentStatus) -> Result<()>;

    async fn set_agent_role(&self, agent: AgentId, role: Role) -> Result<()>;

    async fn get_totp(&self, agent: AgentId) -> Result<Option<TotpRecord>>;

    /// Stores a new unconfirmed TOTP secret; `Conflict` when 2FA is on.
    async fn begin_totp(&self, agent: AgentId, secret: String, at: Timestamp) -> Result<()>;

    /// Confirms the pending secret (its first code's step becomes the last
    /// used step) and replaces the recovery codes, atomically.
    async fn confirm_totp(
        &self,
        agent: AgentId,
        step: i64,
        recovery_hashes: Vec<Vec<u8>>,
        at: Timestamp,
    ) -> Result<()>;

    /// Accepts `step` if newer than the last accepted one (atomic).
    async fn consume_totp_step(&self, agent: AgentId, step: i64) -> Result<bool>;

    /// Marks a recovery code used; false if unknown or used before.
    async fn consume_recovery_code(
        &self,
        agent: AgentId,
        code_hash: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool>;

    async fn recovery_codes_left(&self, agent: AgentId) -> Result<i64>;

    /// Removes the second factor and the recovery codes.
    async fn reset_totp(&self, agent: AgentId) -> Result<()>;

    /// The agent wearing this badge, if any.
    async fn agent_by_badge(&self, badge: &str) -> Result<Option<Agent>>;

    /// Sets the customer's anti-phishing code (shown in the widget and in
    /// official emails; never to agents), authorised by an exchange proof
    /// issued at `proof_issued_at` (unix seconds). Returns `false`, changing
    /// nothing, when a proof as new or newer was already used: each proof
    /// works once.
    async fn set_anti_phishing_code(
        &self,
        customer: CustomerId,
        code: &str,
        at: Timestamp,
        proof_issued_at: i64,
    ) -> Result<bool>;

    async fn anti_phishing_code(&self, customer: CustomerId) -> Result<Option<String>>;

    async fn append_audit(&self, entry: &NewAudit) -> Result<trustdesk_core::audit::AuditEntry>;

    /// The whole chain, in order.
    async fn list_audit(&self) -> Result<Vec<trustdesk_core::audit::AuditEntry>>;
}

/// How the desk is set up: routing profiles, named settings (the SLA
/// policy), business calendars, the official-channel registry, canned
/// responses.
#[async_trait]
pub trait DeskSettingsStore: Send + Sync {
    /// Every agent's routing profile (agents without one are not routed to).
    async fn routing_profiles(&self) -> Result<Vec<RoutingProfile>>;

    /// Sets an agent's skills and capacity and, when given, their languages
    /// and team (`Some(None)` removes the team). `NotFound` for no agent.
    async fn set_routing_profile(
        &self,
        profile: &RoutingProfile,
        languages: Option<Vec<trustdesk_core::Language>>,
        team: Option<Option<trustdesk_core::TeamId>>,
    ) -> Result<()>;

    /// A named JSON configuration document (e.g. `sla_policy`).
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;

    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()>;

    /// Business calendars: (name, CalendarSpec JSON).
    async fn list_calendars(&self) -> Result<Vec<(String, String)>>;

    async fn put_calendar(&self, name: &str, spec: &str, at: Timestamp) -> Result<()>;

    async fn delete_calendar(&self, name: &str) -> Result<()>;

    /// Fails with `Conflict` when the same kind and value are registered.
    async fn add_channel(&self, channel: &OfficialChannel) -> Result<()>;

    async fn delete_channel(&self, id: trustdesk_core::ChannelId) -> Result<()>;

    async fn list_channels(&self) -> Result<Vec<OfficialChannel>>;

    /// Creates or updates (same id). A shortcut used by another response is
    /// a `Conflict`.
    async fn upsert_canned(&self, canned: &CannedResponse) -> Result<CannedResponse>;

    async fn get_canned(&self, id: trustdesk_core::CannedId) -> Result<CannedResponse>;

    async fn delete_canned(&self, id: trustdesk_core::CannedId) -> Result<()>;

    async fn list_canned(&self) -> Result<Vec<CannedResponse>>;
}

/// Knowledge-base articles.
#[async_trait]
pub trait KbStore: Send + Sync {
    /// Creates the article, or updates the one with the same locale and slug.
    async fn upsert_article(&self, draft: &ArticleDraft, at: Timestamp) -> Result<Article>;

    async fn set_article_published(
        &self,
        id: ArticleId,
        published: bool,
        at: Timestamp,
    ) -> Result<Article>;

    async fn get_article(&self, id: ArticleId) -> Result<Article>;

    /// Every article, published or not.
    async fn list_articles(&self) -> Result<Vec<Article>>;
}

/// Persisted deadlines (`timers`) and SLA clocks (`sla_state`).
#[async_trait]
pub trait TimerStore: Send + Sync {
    /// Sets (or moves) the conversation's timer of this kind.
    async fn put_timer(&self, timer: &Timer) -> Result<()>;

    /// Removes the timer; with `due_at`, only while it is still due then.
    async fn delete_timer(
        &self,
        conversation: ConversationId,
        kind: &trustdesk_core::timer::TimerKind,
        due_at: Option<Timestamp>,
    ) -> Result<()>;

    /// Timers due at `now`, earliest first, at most `limit`.
    async fn due_timers(&self, now: Timestamp, limit: u32) -> Result<Vec<Timer>>;

    /// The earliest timer, if any.
    async fn next_timer_at(&self) -> Result<Option<Timestamp>>;

    async fn put_sla_state(
        &self,
        conversation: ConversationId,
        state: &str,
        at: Timestamp,
    ) -> Result<()>;

    async fn sla_state(&self, conversation: ConversationId) -> Result<Option<String>>;

    /// Stores many conversations' SLA clocks and `sla` timers in one
    /// transaction (the SLA worker's flush): one commit for all, where a
    /// write each cost PostgreSQL a commit each. All or nothing.
    async fn save_sla(&self, saves: &[SlaSave], at: Timestamp) -> Result<()>;
}

/// One conversation's SLA writes in a flush.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaSave {
    pub conversation: ConversationId,
    /// The clocks to store (`StoredClocks` JSON), if they changed.
    pub state: Option<String>,
    /// The `sla` timer's change, if any.
    pub timer: Option<SlaTimerChange>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlaTimerChange {
    Put(Timestamp),
    Delete,
}

/// Opens the store a database URL names: `sqlite://PATH` or
/// `postgres://…`. Runs the migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, SqliteOptions::default()).await
}

/// Like [`open`], with the embedded backend's tuning.
pub async fn open_with(url: &str, sqlite: SqliteOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Arc::new(SqliteStore::open(path.as_ref(), sqlite).await?))
    } else {
        Err(StoreError::Internal(
            "database url must start with sqlite:// or postgres://".into(),
        ))
    }
}
