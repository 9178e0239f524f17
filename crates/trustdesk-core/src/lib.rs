//! trustdesk-core: the pure domain of trustdesk.
//!
//! Everything here is plain data and pure functions: no IO, no async, no
//! database. The store persists these types, the server moves them over the
//! wire, and the logic that matters most (routing, SLA math, triage, the
//! secret guard) lives beside them so it can be tested fast and exhaustively.

pub mod access;
pub mod audit;
pub mod automation;
pub mod channel;
pub mod crypto;
pub mod event;
pub mod files;
pub mod guard;
pub mod ids;
pub mod kb;
pub mod model;
pub mod notice;
pub mod qa;
pub mod registry;
pub mod reports;
pub mod routing;
pub mod sla;
pub mod time;
pub mod timer;
pub mod triage;
pub mod validate;
pub mod webhook;

pub use event::{Actor, Event, EventKind, NewEvent, Visibility};
pub use ids::{
    AgentId, ArticleId, AttachmentId, CannedId, ChannelId, ConversationId, CustomerId, FeedbackId,
    MacroId, ReviewId, RuleId, ScorecardId, SessionId, TeamId, WebhookDeliveryId,
    WebhookEndpointId,
};
pub use model::{
    Agent, AgentStatus, Category, Channel, Conversation, ConversationStatus, Customer, Language,
    Priority, Role, Team,
};
pub use time::Timestamp;
