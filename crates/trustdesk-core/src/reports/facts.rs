//! What one conversation's log says about how it was served: the types
//! [`super::facts`] returns. Plain data, serialisable, so the server can
//! cache it beside the conversation or export it as CSV rows.

use crate::guard::GuardedText;
use crate::ids::{AgentId, ConversationId, TeamId};
use crate::model::{Category, Channel, Language, Priority};
use crate::sla::SlaMetric;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One duration measured two ways.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Elapsed {
    /// Wall-clock milliseconds from start to end (what the customer lived).
    pub calendar_ms: i64,
    /// Milliseconds inside business hours, minus the time the SLA clock
    /// was paused (what the team is held to).
    pub business_ms: i64,
}

/// Whether the SLA tracker recorded a breach for a measured wait.
///
/// `Met` means no `sla_breached` event was recorded for it: a metric the
/// policy sets no target for is never breached, so it reads as met too.
/// Attainment for a policy is computed over the conversations whose
/// priority has a target for the metric (the caller knows the policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaOutcome {
    Met,
    Breached,
}

/// A customer's wait for a person, answered by an agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The agent whose public message ended the wait.
    pub agent: AgentId,
    /// The customer message the wait began with (or the bot's handoff
    /// notice, when the handoff came without a new message).
    pub waiting_since: Timestamp,
    /// The agent's message.
    pub answered_at: Timestamp,
    pub elapsed: Elapsed,
    pub sla: SlaOutcome,
}

/// The conversation's last resolution: from its opening, or from its last
/// reopen, to the status change that resolved or closed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// The opening, or the last reopen.
    pub started_at: Timestamp,
    pub resolved_at: Timestamp,
    /// The agent who resolved it; `None` when the bot or trustdesk did.
    pub resolved_by: Option<AgentId>,
    pub elapsed: Elapsed,
    pub sla: SlaOutcome,
}

/// The customer's satisfaction rating (the last one given counts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Csat {
    /// 1 to 5.
    pub score: u8,
    pub comment: Option<GuardedText>,
    pub at: Timestamp,
}

/// Everything the reports need from one conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationFacts {
    pub conversation_id: ConversationId,
    // The dimensions, as the conversation row holds them.
    pub channel: Channel,
    pub category: Option<Category>,
    pub language: Option<Language>,
    pub team: Option<TeamId>,
    pub priority: Priority,
    pub opened_at: Timestamp,
    /// The wait answered by the first human agent reply. `None` when no
    /// customer waited for a person before an agent first wrote (the bot
    /// resolved it, nobody answered yet, or the agent wrote first).
    pub first_response: Option<Response>,
    /// Every later wait and the reply that ended it, in order.
    pub next_responses: Vec<Response>,
    /// `None` while the conversation is not resolved (a reopened one
    /// included: only the last resolution counts, once it happens).
    pub resolution: Option<Resolution>,
    /// How many times it went from resolved or closed back to active.
    pub reopen_count: u32,
    /// The answer bot replied at least once before any human agent did.
    pub bot_answered: bool,
    /// The bot answered and then a person was needed: a handoff notice, or
    /// an agent's public message, came after the bot's reply.
    pub handed_off_from_bot: bool,
    /// Resolved, the bot answered, and no human agent ever wrote publicly.
    pub bot_resolved: bool,
    /// The agent of the last human public reply (the person the customer
    /// last dealt with; CSAT by agent is attributed to them).
    pub last_replying_agent: Option<AgentId>,
    pub csat: Option<Csat>,
    /// Every breach the SLA tracker recorded, in log order, with the
    /// instant the target ran out.
    pub sla_breaches: Vec<(SlaMetric, Timestamp)>,
}

impl ConversationFacts {
    pub fn reopened(&self) -> bool {
        self.reopen_count > 0
    }

    /// Every answered wait: the first response, then the next ones.
    pub fn responses(&self) -> impl Iterator<Item = &Response> {
        self.first_response.iter().chain(&self.next_responses)
    }
}
