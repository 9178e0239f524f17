//! What a stored event tells webhook subscribers: its event type and the
//! `data` of the payload. Only public facts leave: messages that the
//! customer sees (their text already redacted by the secret guard before it
//! was stored), status changes, ratings; assignments as who and which team,
//! never the note or the transfer reason an agent typed. Internal events
//! (notes, triage, SLA, reminders, crypto context, internal notices) map to
//! nothing.

use crate::event::{Actor, Event, EventKind, Visibility};
use crate::model::Conversation;
use crate::notice::NoticeCode;
use crate::time::Timestamp;
use serde_json::{Value, json};

/// The event types an endpoint can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    ConversationCreated,
    MessageCreated,
    ConversationStatusChanged,
    ConversationAssigned,
    ConversationRated,
    FreezeRequested,
    /// An automation rule's `send_webhook` action.
    AutomationWebhook,
}

impl EventType {
    pub const ALL: &[EventType] = &[
        EventType::ConversationCreated,
        EventType::MessageCreated,
        EventType::ConversationStatusChanged,
        EventType::ConversationAssigned,
        EventType::ConversationRated,
        EventType::FreezeRequested,
        EventType::AutomationWebhook,
    ];

    /// The name in the payload's `type` and in subscriptions; never changes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConversationCreated => "conversation.created",
            Self::MessageCreated => "message.created",
            Self::ConversationStatusChanged => "conversation.status_changed",
            Self::ConversationAssigned => "conversation.assigned",
            Self::ConversationRated => "conversation.rated",
            Self::FreezeRequested => "freeze.requested",
            Self::AutomationWebhook => "automation.webhook",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RFC 3339 time, as Standard Webhooks recommends for `timestamp`.
pub fn rfc3339(at: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at.0)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The whole payload: `{"type", "timestamp", "data"}`.
pub fn payload(event_type: EventType, at: Timestamp, data: Value) -> Value {
    json!({ "type": event_type.as_str(), "timestamp": rfc3339(at), "data": data })
}

/// The webhook events one stored event makes, with their `data`, in order.
/// `conversation` is the state after the write.
pub fn describe(event: &Event, conversation: &Conversation) -> Vec<(EventType, Value)> {
    let mut out = Vec::new();
    let id = event.conversation_id;
    if event.seq == 1 {
        out.push((
            EventType::ConversationCreated,
            json!({
                "conversation": {
                    "id": id,
                    "customer_id": conversation.customer_id,
                    "channel": conversation.channel,
                    "subject": conversation.subject,
                    "created_at": rfc3339(conversation.created_at),
                }
            }),
        ));
    }
    // A rule's own webhook: the admin chose to send it, and it carries
    // only the rule's names and the conversation's id, never its text.
    if let EventKind::RuleFired {
        rule_id,
        name,
        webhook: Some(webhook),
        ..
    } = &event.kind
    {
        out.push((
            EventType::AutomationWebhook,
            json!({
                "conversation_id": id,
                "event": webhook,
                "rule_id": rule_id,
                "rule": name,
                "fired_at": rfc3339(event.at),
            }),
        ));
        return out;
    }
    // Belt and braces: whatever a kind's rule says below, an event the
    // customer may not see never leaves.
    if event.visibility != Visibility::Public && !matches!(event.kind, EventKind::Assigned { .. }) {
        return out;
    }
    let at = rfc3339(event.at);
    match &event.kind {
        EventKind::Message { body } => out.push((
            EventType::MessageCreated,
            json!({
                "conversation_id": id,
                "seq": event.seq,
                "author": author(&event.actor),
                "body": body.as_str(),
                "created_at": at,
            }),
        )),
        EventKind::StatusChanged { from, to, .. } => out.push((
            EventType::ConversationStatusChanged,
            json!({ "conversation_id": id, "from": from, "to": to, "changed_at": at }),
        )),
        EventKind::Assigned {
            to,
            team_id,
            reason,
            ..
        } => out.push((
            EventType::ConversationAssigned,
            json!({
                "conversation_id": id,
                "agent_id": to,
                "team_id": team_id.or(conversation.team_id),
                "reason": reason,
                "assigned_at": at,
            }),
        )),
        EventKind::Rated { score, comment } => out.push((
            EventType::ConversationRated,
            json!({
                "conversation_id": id,
                "score": score,
                "comment": comment.as_ref().map(|c| c.as_str()),
                "rated_at": at,
            }),
        )),
        EventKind::SystemNotice { code, .. } if code == NoticeCode::FreezeRequested.as_str() => out
            .push((
                EventType::FreezeRequested,
                json!({
                    "conversation_id": id,
                    "customer_id": conversation.customer_id,
                    "requested_at": at,
                }),
            )),
        _ => {}
    }
    out
}

fn author(actor: &Actor) -> Value {
    match actor {
        Actor::Customer { id } => json!({ "type": "customer", "id": id }),
        Actor::Agent { id, name } => json!({ "type": "agent", "id": id, "name": name }),
        Actor::Bot => json!({ "type": "bot" }),
        Actor::System => json!({ "type": "system" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::GuardedText;
    use crate::ids::{AgentId, ConversationId, CustomerId};
    use crate::model::{Channel, ConversationStatus, Priority};

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
            last_seq: 1,
            created_at: Timestamp(1_614_265_330_000),
            updated_at: Timestamp(1_614_265_330_000),
            labels: Vec::new(),
        }
    }

    fn event(c: &Conversation, seq: i64, actor: Actor, kind: EventKind) -> Event {
        Event {
            conversation_id: c.id,
            seq,
            at: Timestamp(1_614_265_331_000),
            actor,
            visibility: kind.visibility(),
            client_msg_id: None,
            kind,
        }
    }

    #[test]
    fn a_first_message_makes_a_conversation_and_a_message() {
        let c = conversation();
        let first = event(
            &c,
            1,
            Actor::Customer { id: c.customer_id },
            EventKind::Message {
                body: GuardedText::new("hello"),
            },
        );
        let out = describe(&first, &c);
        let types: Vec<EventType> = out.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            types,
            [EventType::ConversationCreated, EventType::MessageCreated]
        );
        assert_eq!(out[1].1["body"], "hello");
        assert_eq!(out[1].1["author"]["type"], "customer");
        assert_eq!(
            out[0].1["conversation"]["created_at"],
            "2021-02-25T15:02:10Z"
        );
    }

    #[test]
    fn internal_events_never_leave() {
        let c = conversation();
        let agent = Actor::Agent {
            id: AgentId::new(),
            name: "A".into(),
        };
        let note = event(
            &c,
            2,
            agent.clone(),
            EventKind::Note {
                body: "customer lies".into(),
            },
        );
        assert!(describe(&note, &c).is_empty());
        let internal_notice = event(
            &c,
            3,
            Actor::System,
            EventKind::SystemNotice {
                code: NoticeCode::FreezeRequested.as_str().into(),
                text: "x".into(),
                audience: Visibility::Internal,
            },
        );
        assert!(describe(&internal_notice, &c).is_empty());
        let assigned = event(
            &c,
            4,
            Actor::System,
            EventKind::Assigned {
                from: None,
                to: Some(AgentId::new()),
                team_id: None,
                reason: crate::event::AssignReason::Routed,
                note: Some("private hand-over note".into()),
            },
        );
        let out = describe(&assigned, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, EventType::ConversationAssigned);
        assert!(!out[0].1.to_string().contains("private hand-over note"));
    }

    #[test]
    fn names_round_trip_and_payloads_have_the_standard_envelope() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(EventType::parse("message.deleted"), None);
        let p = payload(EventType::MessageCreated, Timestamp(0), json!({"a": 1}));
        assert_eq!(p["type"], "message.created");
        assert_eq!(p["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(p["data"]["a"], 1);
    }
}
