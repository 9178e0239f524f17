//! What a rule sees when it is considered: the conversation as it stands
//! ([`Subject`]) and what just happened to it ([`Firing`]). The server
//! builds both from the conversation row, its labels, the customer, the
//! business calendar and the event that was written; the core only reads
//! them, so a rule decides the same way in a test, in a dry run and live.

use super::action::Action;
use super::label::Label;
use crate::event::{Actor, EventKind};
use crate::ids::{RuleId, TeamId};
use crate::model::{Category, Channel, Conversation, ConversationStatus, Language, Priority};
use crate::sla::SlaMetric;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Customer,
    Agent,
}

/// The message that caused the firing, if one did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggeringMessage {
    pub from: Sender,
    /// The stored text, already screened by the secret guard: a rule
    /// matches on what the team sees, never on a redacted secret.
    pub text: String,
}

/// The conversation as a rule sees it: the fields conditions read, and the
/// ones actions change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// `None` until triage has run.
    pub category: Option<Category>,
    pub language: Option<Language>,
    pub priority: Priority,
    pub channel: Channel,
    pub status: ConversationStatus,
    /// Whether an agent is assigned.
    pub assigned: bool,
    pub team_id: Option<TeamId>,
    pub labels: BTreeSet<Label>,
    /// The customer's identity was verified by the exchange.
    pub customer_verified: bool,
    /// Whether the firing happened inside business hours; the server asks
    /// the conversation's calendar (`BusinessCalendar::is_open(now)`).
    pub in_business_hours: bool,
    pub message: Option<TriggeringMessage>,
}

impl Subject {
    /// The subject of `conversation` with the facts the row does not hold.
    pub fn new(
        conversation: &Conversation,
        labels: BTreeSet<Label>,
        customer_verified: bool,
        in_business_hours: bool,
        message: Option<TriggeringMessage>,
    ) -> Self {
        Self {
            category: conversation.category,
            language: conversation.language,
            priority: conversation.priority,
            channel: conversation.channel,
            status: conversation.status,
            assigned: conversation.assignee_id.is_some(),
            team_id: conversation.team_id,
            labels,
            customer_verified,
            in_business_hours,
            message,
        }
    }

    /// Applies what `action` changes that a condition can see, and says
    /// whether anything changed. The planner calls this after each rule
    /// that fires, so a later rule in the same pass sees the labels,
    /// priority, team and status the earlier ones set (ordering is how
    /// rules build on each other; see `docs/automation.md`).
    ///
    /// The model follows the server's mapping: `assign_team` is a transfer
    /// to the team's queue (no agent assigned afterwards), `resolve` and
    /// `snooze` change the status. Replies, notes and webhooks change
    /// nothing a condition reads.
    pub fn apply(&mut self, action: &Action) -> bool {
        match action {
            Action::AssignTeam { team_id } => {
                let changed = self.team_id != Some(*team_id) || self.assigned;
                self.team_id = Some(*team_id);
                self.assigned = false;
                changed
            }
            Action::SetPriority { priority } => {
                std::mem::replace(&mut self.priority, *priority) != *priority
            }
            Action::AddLabel { label } => self.labels.insert(label.clone()),
            Action::RemoveLabel { label } => self.labels.remove(label),
            Action::Resolve {} => {
                std::mem::replace(&mut self.status, ConversationStatus::Resolved)
                    != ConversationStatus::Resolved
            }
            // Snoozing a snoozed conversation still sets a new wake-up time.
            Action::Snooze { .. } => {
                self.status = ConversationStatus::Snoozed;
                true
            }
            Action::SendCannedReply { .. }
            | Action::AddNote { .. }
            | Action::SendWebhook { .. } => false,
        }
    }
}

/// The concrete happening that rules are considered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TriggerEvent {
    ConversationCreated {},
    MessageCreated {
        from: Sender,
    },
    StatusChanged {
        from: ConversationStatus,
        to: ConversationStatus,
    },
    SlaWarning {
        metric: SlaMetric,
    },
    SlaBreached {
        metric: SlaMetric,
    },
    /// Nothing has happened in the conversation for `minutes`. The server
    /// raises this once per idle stretch for each threshold
    /// [`super::idle_thresholds`] lists.
    Idle {
        minutes: u32,
    },
}

impl TriggerEvent {
    /// The trigger event a stored event amounts to, if any: public
    /// messages of the customer or an agent, status changes, SLA warnings
    /// and breaches. Bot replies and system messages trigger nothing.
    /// (`conversation_created` and `idle` have no event of their own; the
    /// server raises them.)
    pub fn from_event(actor: &Actor, kind: &EventKind) -> Option<Self> {
        match kind {
            EventKind::Message { .. } => match actor {
                Actor::Customer { .. } => Some(Self::MessageCreated {
                    from: Sender::Customer,
                }),
                Actor::Agent { .. } => Some(Self::MessageCreated {
                    from: Sender::Agent,
                }),
                Actor::Bot | Actor::System => None,
            },
            EventKind::StatusChanged { from, to, .. } => Some(Self::StatusChanged {
                from: *from,
                to: *to,
            }),
            EventKind::SlaWarning { metric, .. } => Some(Self::SlaWarning { metric: *metric }),
            EventKind::SlaBreached { metric, .. } => Some(Self::SlaBreached { metric: *metric }),
            _ => None,
        }
    }
}

/// One happening and where it came from, for loop safety.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firing {
    pub trigger_event: TriggerEvent,
    /// The rule whose action caused this happening (`None`: a person, the
    /// customer or trustdesk itself). That rule never fires on it.
    pub caused_by_rule: Option<RuleId>,
    /// 0 for a happening no rule caused; one more than the firing whose
    /// plan caused it otherwise.
    pub depth: u32,
}

impl Firing {
    /// A happening no rule caused.
    pub fn new(trigger_event: TriggerEvent) -> Self {
        Self {
            trigger_event,
            caused_by_rule: None,
            depth: 0,
        }
    }

    /// The firing for `event`, caused by an action of `rule` that fired on
    /// `self`: the server passes this when it plans again after carrying
    /// out a plan.
    pub fn follow_up(&self, rule: RuleId, event: TriggerEvent) -> Self {
        Self {
            trigger_event: event,
            caused_by_rule: Some(rule),
            depth: self.depth.saturating_add(1),
        }
    }
}
