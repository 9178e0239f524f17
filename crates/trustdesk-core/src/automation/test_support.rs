//! Builders shared by the automation tests.

use super::*;
use crate::ids::RuleId;
use crate::model::{Channel, ConversationStatus, Priority};
use std::collections::BTreeSet;

pub(crate) fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

/// An open, unassigned, untriaged web conversation, no labels, an
/// anonymous customer, inside business hours, no message.
pub(crate) fn subject() -> Subject {
    Subject {
        category: None,
        language: None,
        priority: Priority::Normal,
        channel: Channel::Web,
        status: ConversationStatus::Open,
        assigned: false,
        team_id: None,
        labels: BTreeSet::new(),
        customer_verified: false,
        in_business_hours: true,
        message: None,
    }
}

pub(crate) fn customer_says(text: &str) -> Subject {
    Subject {
        message: Some(TriggeringMessage {
            from: Sender::Customer,
            text: text.to_owned(),
        }),
        ..subject()
    }
}

pub(crate) fn customer_message() -> Firing {
    Firing::new(TriggerEvent::MessageCreated {
        from: Sender::Customer,
    })
}

/// An enabled rule at `position` on any message, with `condition`.
pub(crate) fn rule(position: u32, condition: Condition, actions: Vec<Action>) -> Rule {
    Rule {
        id: RuleId::new(),
        name: format!("rule {position}"),
        enabled: true,
        position,
        trigger: Trigger::MessageCreated { from: None },
        condition,
        actions,
    }
}

pub(crate) fn always() -> Condition {
    Condition::default()
}

pub(crate) fn add_label(s: &str) -> Action {
    Action::AddLabel { label: label(s) }
}
