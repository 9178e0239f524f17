//! The ordered event log of a conversation.
//!
//! Every change to a conversation is an event with a per-conversation
//! sequence number (1, 2, 3, …, no gaps in the log itself). Clients resume
//! with `since=<seq>`; the conversation row is a projection of the log
//! (see [`Conversation::apply`]). New capabilities add variants to
//! [`EventKind`]; the store keeps the kind as text and the payload as JSON,
//! so a new variant needs no schema change.

use crate::guard::GuardedText;
use crate::ids::{AgentId, ArticleId, ConversationId, CustomerId, TeamId};
use crate::model::{Category, Conversation, ConversationStatus, Language, Priority};
use crate::sla::SlaMetric;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Who caused an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    Customer {
        id: CustomerId,
    },
    /// The agent's display name is captured when the event is written, the
    /// way an email keeps its From line.
    Agent {
        id: AgentId,
        name: String,
    },
    /// The answer bot.
    Bot,
    /// trustdesk itself (routing, SLA timers, triage, the guard).
    System,
}

/// Who may see an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The customer and the team.
    Public,
    /// The team only: never stored where a customer read can reach it,
    /// never fanned out to a customer connection.
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "internal" => Some(Self::Internal),
            _ => None,
        }
    }
}

/// Why an assignment changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignReason {
    /// An agent took the conversation.
    SelfAssigned,
    /// The routing engine picked the agent.
    Routed,
    /// An agent or supervisor handed it over.
    Transfer,
    /// The assignee went offline and the conversation went back to the queue.
    Requeued,
    /// An SLA breach escalated it.
    Escalated,
}

/// A knowledge-base article the bot suggests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestedArticle {
    pub id: ArticleId,
    pub slug: String,
    pub title: String,
    pub snippet: String,
}

/// A file attached to a conversation. The bytes live in the store's
/// attachment table; the event carries what a client needs to show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub id: crate::ids::AttachmentId,
    /// The uploader's file name, made safe and screened.
    pub name: GuardedText,
    /// The type detected from the file's content, never the one claimed.
    pub mime: String,
    pub size: u64,
}

/// What happened. Serialised with a `type` tag; stored as kind + JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A message between the customer and the team (public). The body has
    /// been through the secret guard whoever wrote it.
    Message { body: GuardedText },
    /// A note for the team only (internal).
    Note { body: String },
    StatusChanged {
        from: ConversationStatus,
        to: ConversationStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snoozed_until: Option<Timestamp>,
    },
    Assigned {
        from: Option<AgentId>,
        to: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team_id: Option<TeamId>,
        reason: AssignReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The answer bot's reply: articles from the knowledge base that likely
    /// answer the customer's question (public).
    BotReply {
        text: String,
        articles: Vec<SuggestedArticle>,
        confidence: f32,
    },
    /// Addresses and transaction hashes found in a customer message, with
    /// their likely network and validity, for agents (internal).
    CryptoContext {
        mentions: Vec<crate::crypto::CryptoMention>,
    },
    /// The result of triage on the first customer message.
    Triaged {
        category: Category,
        language: Language,
        priority: Priority,
        urgent: bool,
        confidence: f32,
    },
    /// A notice from trustdesk. `code` is stable and machine-readable so a
    /// client can show it in the reader's language; `text` is the server's
    /// rendering in the conversation language.
    SystemNotice {
        code: String,
        text: String,
        audience: Visibility,
    },
    /// A file shared in the conversation (public).
    Attachment { file: AttachmentRef },
    /// The customer's satisfaction rating (CSAT) after resolution: a score
    /// from 1 to 5 and an optional comment (public: the customer sees their
    /// own rating, the team sees it in the conversation).
    Rated {
        score: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<GuardedText>,
    },
    /// A manual transfer (to an agent or a team, with a reason) or a
    /// supervisor's reassignment (internal). Folds like an assignment:
    /// the assignee becomes `to_agent` (none when handed to a team, whose
    /// queue then routes it), the team becomes `to_team` when given.
    Transferred {
        from: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_team: Option<TeamId>,
        reason: String,
        by: AgentId,
        /// True when a supervisor took the conversation from another agent.
        supervisor: bool,
    },
    /// The priority changed (an SLA escalation or a supervisor; internal).
    PriorityChanged {
        from: Priority,
        to: Priority,
        reason: String,
    },
    /// An SLA target is close to being missed (internal).
    SlaWarning {
        metric: SlaMetric,
        due_at: Timestamp,
    },
    /// An SLA target was missed (internal); escalation follows.
    SlaBreached {
        metric: SlaMetric,
        due_at: Timestamp,
    },
    /// An agent asked to be reminded about this conversation (internal).
    ReminderSet {
        id: String,
        agent_id: AgentId,
        at: Timestamp,
        note: String,
    },
    /// A reminder fired (internal); the agent is notified.
    ReminderDue {
        id: String,
        agent_id: AgentId,
        note: String,
    },
    /// Labels added and removed (internal: labels are the team's own
    /// sorting, never shown to the customer), by an agent, a macro or an
    /// automation rule.
    Labeled {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        added: Vec<crate::automation::Label>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed: Vec<crate::automation::Label>,
    },
    /// An automation rule or a macro acted on the conversation (internal):
    /// which one, and the actions it carried out (`Action::name`), written
    /// after them so the timeline says why they happened. A rule's
    /// `send_webhook` leaves as the `automation.webhook` webhook event of
    /// this event (through the outbox, like every other webhook).
    RuleFired {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule_id: Option<crate::ids::RuleId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        macro_id: Option<crate::ids::MacroId>,
        name: String,
        actions: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        webhook: Option<String>,
    },
}

impl EventKind {
    /// The stable text stored in the `kind` column.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Message { .. } => "message",
            Self::Note { .. } => "note",
            Self::StatusChanged { .. } => "status_changed",
            Self::Assigned { .. } => "assigned",
            Self::Triaged { .. } => "triaged",
            Self::BotReply { .. } => "bot_reply",
            Self::CryptoContext { .. } => "crypto_context",
            Self::SystemNotice { .. } => "system_notice",
            Self::Attachment { .. } => "attachment",
            Self::Rated { .. } => "rated",
            Self::Transferred { .. } => "transferred",
            Self::PriorityChanged { .. } => "priority_changed",
            Self::SlaWarning { .. } => "sla_warning",
            Self::SlaBreached { .. } => "sla_breached",
            Self::ReminderSet { .. } => "reminder_set",
            Self::ReminderDue { .. } => "reminder_due",
            Self::Labeled { .. } => "labeled",
            Self::RuleFired { .. } => "rule_fired",
        }
    }

    pub fn visibility(&self) -> Visibility {
        match self {
            Self::Message { .. }
            | Self::StatusChanged { .. }
            | Self::BotReply { .. }
            | Self::Attachment { .. }
            | Self::Rated { .. } => Visibility::Public,
            Self::Note { .. }
            | Self::Assigned { .. }
            | Self::Triaged { .. }
            | Self::CryptoContext { .. }
            | Self::Transferred { .. }
            | Self::PriorityChanged { .. }
            | Self::SlaWarning { .. }
            | Self::SlaBreached { .. }
            | Self::ReminderSet { .. }
            | Self::ReminderDue { .. }
            | Self::Labeled { .. }
            | Self::RuleFired { .. } => Visibility::Internal,
            Self::SystemNotice { audience, .. } => *audience,
        }
    }

    /// The message or note text, if this event carries one.
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::Message { body } => Some(body.as_str()),
            Self::Note { body } => Some(body),
            _ => None,
        }
    }
}

/// An event as the server asks the store to append it. The store assigns
/// the sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub conversation_id: ConversationId,
    pub actor: Actor,
    pub kind: EventKind,
    /// The client's idempotency key: the same key appended twice yields the
    /// stored event; the same key with a different body is a conflict.
    pub client_msg_id: Option<String>,
    pub at: Timestamp,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub at: Timestamp,
    pub actor: Actor,
    pub visibility: Visibility,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    pub kind: EventKind,
}

impl Event {
    /// Whether a replayed event is the same request as `new` (same kind and
    /// payload and author), i.e. a resend rather than a conflicting reuse of
    /// the client message id.
    pub fn is_same_request(&self, new: &NewEvent) -> bool {
        self.kind == new.kind && self.actor == new.actor
    }
}

impl Conversation {
    /// Folds one event into the conversation's projected state. The store
    /// calls this inside the transaction that appends the event, so the row
    /// and the log never disagree.
    pub fn apply(&mut self, event: &Event) {
        self.last_seq = event.seq;
        self.updated_at = event.at;
        match &event.kind {
            EventKind::StatusChanged {
                to, snoozed_until, ..
            } => {
                self.status = *to;
                self.snoozed_until = if *to == ConversationStatus::Snoozed {
                    *snoozed_until
                } else {
                    None
                };
            }
            EventKind::Assigned { to, team_id, .. } => {
                self.assignee_id = *to;
                if team_id.is_some() {
                    self.team_id = *team_id;
                }
            }
            EventKind::Triaged {
                category,
                language,
                priority,
                urgent,
                ..
            } => {
                self.category = Some(*category);
                self.language = Some(*language);
                self.priority = (*priority).max(self.priority);
                self.urgent = *urgent || self.urgent;
            }
            EventKind::Transferred {
                to_agent, to_team, ..
            } => {
                self.assignee_id = *to_agent;
                if to_team.is_some() {
                    self.team_id = *to_team;
                }
            }
            EventKind::PriorityChanged { to, .. } => self.priority = *to,
            EventKind::Labeled { added, removed } => {
                self.labels.retain(|l| !removed.contains(l));
                self.labels.extend(added.iter().cloned());
                self.labels.sort();
                self.labels.dedup();
            }
            EventKind::Message { .. }
            | EventKind::Note { .. }
            | EventKind::SystemNotice { .. }
            | EventKind::BotReply { .. }
            | EventKind::CryptoContext { .. }
            | EventKind::Attachment { .. }
            | EventKind::Rated { .. }
            | EventKind::SlaWarning { .. }
            | EventKind::SlaBreached { .. }
            | EventKind::ReminderSet { .. }
            | EventKind::ReminderDue { .. }
            | EventKind::RuleFired { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Channel;

    fn conversation() -> Conversation {
        Conversation {
            id: ConversationId::new(),
            customer_id: CustomerId::new(),
            channel: Channel::Web,
            subject: None,
            category: None,
            language: None,
            priority: Priority::Normal,
            urgent: false,
            status: ConversationStatus::Open,
            assignee_id: None,
            team_id: None,
            snoozed_until: None,
            last_seq: 0,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            labels: Vec::new(),
        }
    }

    fn event(conv: &Conversation, seq: i64, kind: EventKind) -> Event {
        Event {
            conversation_id: conv.id,
            seq,
            at: Timestamp(seq * 1000),
            actor: Actor::System,
            visibility: kind.visibility(),
            client_msg_id: None,
            kind,
        }
    }

    #[test]
    fn notes_and_routing_are_internal_messages_public() {
        assert_eq!(
            EventKind::Note { body: "x".into() }.visibility(),
            Visibility::Internal
        );
        assert_eq!(
            EventKind::Message {
                body: GuardedText::new("x")
            }
            .visibility(),
            Visibility::Public
        );
        let notice = EventKind::SystemNotice {
            code: "c".into(),
            text: "t".into(),
            audience: Visibility::Internal,
        };
        assert_eq!(notice.visibility(), Visibility::Internal);
    }

    #[test]
    fn apply_projects_status_assignment_and_triage() {
        let mut c = conversation();
        let agent = AgentId::new();
        let snooze = Timestamp(99);
        c.apply(&event(
            &c,
            1,
            EventKind::StatusChanged {
                from: ConversationStatus::Open,
                to: ConversationStatus::Snoozed,
                snoozed_until: Some(snooze),
            },
        ));
        assert_eq!(c.status, ConversationStatus::Snoozed);
        assert_eq!(c.snoozed_until, Some(snooze));
        c.apply(&event(
            &c,
            2,
            EventKind::Assigned {
                from: None,
                to: Some(agent),
                team_id: None,
                reason: AssignReason::SelfAssigned,
                note: None,
            },
        ));
        assert_eq!(c.assignee_id, Some(agent));
        c.apply(&event(
            &c,
            3,
            EventKind::Triaged {
                category: Category::Security,
                language: Language::Zh,
                priority: Priority::Urgent,
                urgent: true,
                confidence: 0.9,
            },
        ));
        assert_eq!(c.category, Some(Category::Security));
        assert!(c.urgent);
        assert_eq!(c.priority, Priority::Urgent);
        assert_eq!(c.last_seq, 3);
        assert_eq!(c.updated_at, Timestamp(3000));
        c.apply(&event(
            &c,
            4,
            EventKind::StatusChanged {
                from: ConversationStatus::Snoozed,
                to: ConversationStatus::Open,
                snoozed_until: None,
            },
        ));
        assert_eq!(
            c.snoozed_until, None,
            "leaving snooze clears the wake-up time"
        );
    }

    #[test]
    fn transfer_and_priority_change_fold_into_the_row() {
        let mut c = conversation();
        let (a, b) = (AgentId::new(), AgentId::new());
        c.assignee_id = Some(a);
        let team = TeamId::new();
        c.apply(&event(
            &c,
            1,
            EventKind::Transferred {
                from: Some(a),
                to_agent: None,
                to_team: Some(team),
                reason: "needs the security team".into(),
                by: b,
                supervisor: false,
            },
        ));
        assert_eq!(c.assignee_id, None);
        assert_eq!(c.team_id, Some(team));
        c.apply(&event(
            &c,
            2,
            EventKind::PriorityChanged {
                from: Priority::Normal,
                to: Priority::Urgent,
                reason: "sla".into(),
            },
        ));
        assert_eq!(c.priority, Priority::Urgent);
        let warn = EventKind::SlaWarning {
            metric: SlaMetric::FirstResponse,
            due_at: Timestamp(5),
        };
        assert_eq!(warn.visibility(), Visibility::Internal);
        assert_eq!(
            serde_json::to_value(&warn).unwrap()["metric"],
            "first_response"
        );
    }

    #[test]
    fn triage_never_lowers_a_priority_set_earlier() {
        let mut c = conversation();
        c.priority = Priority::High;
        c.apply(&event(
            &c,
            1,
            EventKind::Triaged {
                category: Category::Trading,
                language: Language::En,
                priority: Priority::Low,
                urgent: false,
                confidence: 0.5,
            },
        ));
        assert_eq!(c.priority, Priority::High);
    }

    #[test]
    fn event_json_is_tagged_and_round_trips() {
        let c = conversation();
        let e = event(
            &c,
            7,
            EventKind::Message {
                body: GuardedText::new("你好"),
            },
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"]["type"], "message");
        assert_eq!(v["kind"]["body"], "你好");
        assert_eq!(v["actor"]["type"], "system");
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), e);
    }
}
