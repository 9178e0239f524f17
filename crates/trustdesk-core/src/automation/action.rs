//! What a rule or a macro does. The core only decides; the server maps each
//! action onto the ordinary operations (a transfer to a team, a priority
//! change, a canned reply sent as the system, a status change, a webhook
//! message), so an automated change is written, audited and fanned out
//! exactly like the same change made by hand.

use super::error::{ActionError, ValidationError};
use super::label::Label;
use crate::ids::{CannedId, TeamId};
use crate::model::Priority;
use serde::{Deserialize, Serialize};

/// Most actions in one rule or macro.
pub const MAX_ACTIONS: usize = 20;
/// Longest internal note an action may add, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Longest snooze (and longest idle wait): 30 days, in minutes.
pub const MAX_MINUTES: u32 = 30 * 24 * 60;
/// Longest webhook event name.
pub const MAX_WEBHOOK_EVENT_CHARS: usize = 64;

/// One thing to do. JSON: `{"type":"add_label","label":"vip"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Hand the conversation to a team's queue. Like a transfer to a team,
    /// it leaves no agent assigned (the team's queue routes it), so a rule
    /// that must not take a conversation from an agent adds the condition
    /// `{"type":"assigned","is":false}`.
    AssignTeam {
        team_id: TeamId,
    },
    SetPriority {
        priority: Priority,
    },
    AddLabel {
        label: Label,
    },
    RemoveLabel {
        label: Label,
    },
    /// Send a saved reply to the customer (public), as trustdesk.
    SendCannedReply {
        canned_id: CannedId,
    },
    /// Add an internal note for the team.
    AddNote {
        body: String,
    },
    Resolve {},
    Snooze {
        minutes: u32,
    },
    /// Tell the exchange's systems, through the registered webhook
    /// endpoints, under the rule's own event name (never a built-in type).
    SendWebhook {
        event: String,
    },
}

/// The piece of state an action sets, for actions where a later setting
/// replaces an earlier one. Actions without a slot (replies, notes,
/// webhooks) add something each time instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Slot<'a> {
    Priority,
    /// The team and, with it, the assignee.
    Team,
    /// Resolve and snooze.
    Status,
    Label(&'a Label),
}

impl Slot<'_> {
    fn describe(&self) -> String {
        match self {
            Slot::Priority => "priority".into(),
            Slot::Team => "team".into(),
            Slot::Status => "status (resolve / snooze)".into(),
            Slot::Label(l) => format!("label {:?}", l.as_str()),
        }
    }
}

impl Action {
    /// The `type` of the JSON form.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AssignTeam { .. } => "assign_team",
            Self::SetPriority { .. } => "set_priority",
            Self::AddLabel { .. } => "add_label",
            Self::RemoveLabel { .. } => "remove_label",
            Self::SendCannedReply { .. } => "send_canned_reply",
            Self::AddNote { .. } => "add_note",
            Self::Resolve {} => "resolve",
            Self::Snooze { .. } => "snooze",
            Self::SendWebhook { .. } => "send_webhook",
        }
    }

    pub(crate) fn slot(&self) -> Option<Slot<'_>> {
        match self {
            Self::AssignTeam { .. } => Some(Slot::Team),
            Self::SetPriority { .. } => Some(Slot::Priority),
            Self::AddLabel { label } | Self::RemoveLabel { label } => Some(Slot::Label(label)),
            Self::Resolve {} | Self::Snooze { .. } => Some(Slot::Status),
            Self::SendCannedReply { .. } | Self::AddNote { .. } | Self::SendWebhook { .. } => None,
        }
    }

    /// Checks this action on its own (the same for rules and macros).
    pub fn validate(&self) -> Result<(), ActionError> {
        match self {
            Self::AddNote { body } => {
                if body.trim().is_empty() {
                    return Err(ActionError::EmptyNote);
                }
                if body.chars().count() > MAX_NOTE_CHARS {
                    return Err(ActionError::NoteTooLong {
                        max: MAX_NOTE_CHARS,
                    });
                }
                let allowed = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t');
                if !body.chars().all(allowed) {
                    return Err(ActionError::NoteBadCharacters);
                }
                Ok(())
            }
            Self::Snooze { minutes } => {
                if (1..=MAX_MINUTES).contains(minutes) {
                    Ok(())
                } else {
                    Err(ActionError::SnoozeMinutes { max: MAX_MINUTES })
                }
            }
            Self::SendWebhook { event } => validate_webhook_event(event),
            Self::AssignTeam { .. }
            | Self::SetPriority { .. }
            | Self::AddLabel { .. }
            | Self::RemoveLabel { .. }
            | Self::SendCannedReply { .. }
            | Self::Resolve {} => Ok(()),
        }
    }
}

fn validate_webhook_event(event: &str) -> Result<(), ActionError> {
    let bad = || ActionError::BadWebhookEvent(event.to_owned());
    let starts_with_letter = event.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
    if !starts_with_letter || event.len() > MAX_WEBHOOK_EVENT_CHARS || !event.bytes().all(allowed) {
        return Err(bad());
    }
    if crate::webhook::events::EventType::parse(event).is_some() {
        return Err(ActionError::BuiltInWebhookEvent(event.to_owned()));
    }
    Ok(())
}

/// The checks a rule's and a macro's action list share: 1 to
/// [`MAX_ACTIONS`] actions, each valid, and no two setting the same thing
/// or repeating each other.
pub(crate) fn validate_actions(actions: &[Action]) -> Result<(), ValidationError> {
    if actions.is_empty() {
        return Err(ValidationError::NoActions);
    }
    if actions.len() > MAX_ACTIONS {
        return Err(ValidationError::TooManyActions { max: MAX_ACTIONS });
    }
    for (index, action) in actions.iter().enumerate() {
        action
            .validate()
            .map_err(|error| ValidationError::Action { index, error })?;
    }
    for (second, b) in actions.iter().enumerate() {
        for (first, a) in actions[..second].iter().enumerate() {
            let what = match (a.slot(), b.slot()) {
                (Some(x), Some(y)) if x == y => format!("both set the {}", x.describe()),
                _ if a == b => format!("are the same {}", a.name()),
                _ => continue,
            };
            return Err(ValidationError::ConflictingActions {
                first,
                second,
                what,
            });
        }
    }
    Ok(())
}
