//! The values the store takes and returns beyond the core model.

use trustdesk_core::guard::GuardedText;
use trustdesk_core::{
    AgentId, Category, Channel, Conversation, ConversationId, ConversationStatus, CustomerId,
    Event, Language, Priority, SessionId, TeamId, Timestamp,
};

/// Who a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    Customer(CustomerId),
    Agent(AgentId),
}

/// A server-side login session. Only the SHA-256 of the bearer token is
/// stored, so a copy of the database does not hand out live sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub token_hash: Vec<u8>,
    pub principal: Principal,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// Set for an API token: its name and scopes. `None` for a console
    /// (interactive) session.
    pub api_token: Option<ApiTokenInfo>,
    /// Set for a login ticket: a password was right, but the second factor
    /// (or its enrolment) is still to come. A ticket is not a session: it
    /// opens nothing but the next login step.
    pub pending: Option<Pending>,
}

/// The login step a ticket leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Enter a TOTP or recovery code.
    SecondFactor,
    /// 2FA is not set up yet: enrol, then confirm with a first code.
    Enrolment,
}

impl Pending {
    pub fn as_str(self) -> &'static str {
        match self {
            Pending::SecondFactor => "pending:2fa",
            Pending::Enrolment => "pending:enrol",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending:2fa" => Some(Pending::SecondFactor),
            "pending:enrol" => Some(Pending::Enrolment),
            _ => None,
        }
    }
}

/// What makes a session an API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenInfo {
    pub name: String,
    /// Scope names, e.g. `conversations:read`; the server gives them meaning.
    pub scopes: Vec<String>,
}

/// An agent's second factor, as stored. Debug hides the secret.
#[derive(Clone)]
pub struct TotpRecord {
    /// Base32 secret. Never logged.
    pub secret: String,
    pub confirmed_at: Option<Timestamp>,
    /// The last accepted 30-second step (0: none yet).
    pub last_step: i64,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("secret", &"[hidden]")
            .field("confirmed_at", &self.confirmed_at)
            .field("last_step", &self.last_step)
            .finish()
    }
}

impl Session {
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// What the exchange vouched for (by HMAC) about one of its users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProfile {
    pub external_id: String,
    pub name: Option<GuardedText>,
    pub email: Option<GuardedText>,
    pub locale: Option<Language>,
    pub at: Timestamp,
}

/// A conversation to create.
#[derive(Clone, Debug, PartialEq)]
pub struct NewConversation {
    pub id: ConversationId,
    pub customer_id: CustomerId,
    pub channel: Channel,
    /// Screened by the secret guard: a raw string cannot be stored.
    pub subject: Option<GuardedText>,
    pub language: Option<Language>,
    pub priority: Priority,
    /// The client's idempotency key for the creation request.
    pub origin_client_id: Option<String>,
    pub at: Timestamp,
}

impl NewConversation {
    /// The conversation row before any event is folded in.
    pub fn initial_state(&self) -> Conversation {
        Conversation {
            id: self.id,
            customer_id: self.customer_id,
            channel: self.channel,
            subject: self.subject.clone(),
            category: None,
            language: self.language,
            priority: self.priority,
            urgent: false,
            status: ConversationStatus::Open,
            assignee_id: None,
            team_id: None,
            snoozed_until: None,
            last_seq: 0,
            created_at: self.at,
            updated_at: self.at,
            labels: Vec::new(),
        }
    }
}

/// The outcome of `create_conversation`.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub conversation: Conversation,
    pub events: Vec<Event>,
    pub duplicate: bool,
}

/// The outcome of `append_event`.
#[derive(Clone, Debug, PartialEq)]
pub struct Appended {
    pub event: Event,
    /// The conversation after the event (or as it is now, for a duplicate).
    pub conversation: Conversation,
    pub duplicate: bool,
}

/// Which events a reader may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Public events only: what a customer sees.
    Customer,
    /// Everything, internal notes included: what the team sees.
    Team,
}

/// Who a conversation is assigned to, as a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    Unassigned,
    Agent(AgentId),
}

/// Inbox filters. `None` fields do not filter. Results are ordered by
/// `updated_at` descending, then id; `before` continues a page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConversationFilter {
    pub statuses: Vec<ConversationStatus>,
    pub assignee: Option<AssigneeFilter>,
    pub team_id: Option<TeamId>,
    pub customer_id: Option<CustomerId>,
    pub category: Option<Category>,
    pub language: Option<Language>,
    pub priority: Option<Priority>,
    pub urgent: Option<bool>,
    /// Only conversations carrying this label.
    pub label: Option<trustdesk_core::automation::Label>,
    /// Only conversations whose subject, messages or notes contain this
    /// text (case-insensitive for ASCII letters; what is stored is the
    /// guard's redacted text, so a secret is never found).
    pub text: Option<String>,
    pub before: Option<(Timestamp, ConversationId)>,
    pub limit: u32,
    /// Only what this agent may see (`AgentScope::may_see`, in SQL).
    pub visible_to: Option<trustdesk_core::access::AgentScope>,
}

impl ConversationFilter {
    pub const MAX_LIMIT: u32 = 200;

    pub fn effective_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, Self::MAX_LIMIT))
    }
}

/// What the answer bot achieved, over all conversations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BotOutcomes {
    /// Conversations the bot proposed articles in.
    pub answered: i64,
    /// Conversations the bot resolved: the customer said its answer helped
    /// (the deflection count).
    pub resolved_by_bot: i64,
    /// Hand-offs to a human (asked for, not helped, urgent, no answer).
    pub handed_off: i64,
}

/// An entry of the official-channel registry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OfficialChannel {
    pub id: trustdesk_core::ChannelId,
    pub kind: trustdesk_core::registry::ChannelKind,
    /// Normalised (see `trustdesk_core::registry::normalize`).
    pub value: String,
    /// What it is, for people ("Main website", "Support on Telegram").
    pub label: String,
    pub created_at: Timestamp,
}

/// An audit entry to append; the store assigns seq and hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON text.
    pub detail: String,
}

/// A file to store with the event that shares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttachment {
    pub id: trustdesk_core::AttachmentId,
    pub conversation_id: ConversationId,
    pub uploaded_by: Principal,
    /// Already made safe (`trustdesk_core::files::safe_name`) and screened.
    pub name: GuardedText,
    /// Detected from the content.
    pub mime: String,
    /// Hex SHA-256 of `data`.
    pub sha256: String,
    pub data: Vec<u8>,
    pub at: Timestamp,
}

/// A stored file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAttachment {
    pub id: trustdesk_core::AttachmentId,
    pub conversation_id: ConversationId,
    pub name: String,
    pub mime: String,
    pub sha256: String,
    pub data: Vec<u8>,
    pub created_at: Timestamp,
}

/// A saved reply agents insert by shortcut.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CannedResponse {
    pub id: trustdesk_core::CannedId,
    /// Lowercase letters, digits and dashes: what follows `/` in the composer.
    pub shortcut: String,
    pub title: String,
    /// May hold `{{customer.name}}` and `{{agent.name}}`, filled in by the
    /// console when inserted.
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<Language>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<AgentId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Customer satisfaction over all ratings.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct CsatSummary {
    pub ratings: i64,
    /// Mean score, `None` without ratings.
    pub average: Option<f64>,
    /// Share of 4 and 5 scores (the usual CSAT percentage), 0..1.
    pub satisfied_share: Option<f64>,
    /// Count per score, index 0 = score 1.
    pub distribution: [i64; 5],
}

/// An agent's routing profile (languages and team live on the agent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingProfile {
    pub agent_id: AgentId,
    pub skills: trustdesk_core::routing::Skills,
    /// Most concurrent conversations the router gives this agent.
    pub capacity: u32,
    pub updated_at: Timestamp,
}

/// A persisted deadline of a conversation. `kind` names it (`sla`,
/// `snooze`, `auto_close`, `reminder:<id>`); one row per conversation and
/// kind, so setting it again moves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    pub conversation_id: ConversationId,
    /// What fires, with its payload (stored as `kind` + `payload` text).
    pub kind: trustdesk_core::timer::TimerKind,
    pub due_at: Timestamp,
}
