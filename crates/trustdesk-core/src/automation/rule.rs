//! An automation rule: when something happens ([`Trigger`]) to a
//! conversation that fits ([`Condition`]), do these [`Action`]s.

use super::action::{Action, MAX_MINUTES, validate_actions};
use super::condition::Condition;
use super::context::{Sender, TriggerEvent};
use super::error::ValidationError;
use crate::ids::RuleId;
use crate::model::ConversationStatus;
use crate::sla::SlaMetric;
use serde::{Deserialize, Serialize};

/// Longest rule or macro name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The kind of happening a rule waits for. Optional fields narrow it;
/// left out, any happening of the kind fires. JSON: `{"type":"idle","minutes":30}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    ConversationCreated {},
    MessageCreated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Sender>,
    },
    StatusChanged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<ConversationStatus>,
    },
    SlaWarning {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metric: Option<SlaMetric>,
    },
    SlaBreached {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metric: Option<SlaMetric>,
    },
    /// Nothing happened in the conversation for exactly this long: fires
    /// once per idle stretch, when the threshold is crossed.
    Idle {
        minutes: u32,
    },
}

impl Trigger {
    /// Whether `event` is a happening this trigger waits for.
    pub fn matches(&self, event: &TriggerEvent) -> bool {
        fn fits<T: PartialEq>(want: &Option<T>, got: &T) -> bool {
            want.as_ref().is_none_or(|w| w == got)
        }
        match (self, event) {
            (Self::ConversationCreated {}, TriggerEvent::ConversationCreated {}) => true,
            (Self::MessageCreated { from }, TriggerEvent::MessageCreated { from: got }) => {
                fits(from, got)
            }
            (Self::StatusChanged { to }, TriggerEvent::StatusChanged { to: got, .. }) => {
                fits(to, got)
            }
            (Self::SlaWarning { metric }, TriggerEvent::SlaWarning { metric: got })
            | (Self::SlaBreached { metric }, TriggerEvent::SlaBreached { metric: got }) => {
                fits(metric, got)
            }
            (Self::Idle { minutes }, TriggerEvent::Idle { minutes: got }) => minutes == got,
            _ => false,
        }
    }
}

/// A rule as an admin configured it. JSON: see `docs/automation.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: RuleId,
    pub name: String,
    /// A disabled rule is kept but never fires (the plan says so).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Rules are considered in ascending position, then id.
    #[serde(default)]
    pub position: u32,
    pub trigger: Trigger,
    /// Left out: always.
    #[serde(default)]
    pub condition: Condition,
    pub actions: Vec<Action>,
}

fn yes() -> bool {
    true
}

impl Rule {
    /// Checks everything an admin could get wrong; the first problem found
    /// is returned. Labels are checked when they are made (a [`super::Label`]
    /// is always valid), so a bad label is refused when the JSON is read.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_name(&self.name)?;
        if let Trigger::Idle { minutes } = self.trigger
            && !(1..=MAX_MINUTES).contains(&minutes)
        {
            return Err(ValidationError::IdleMinutes { max: MAX_MINUTES });
        }
        self.condition.validate_shape()?;
        validate_actions(&self.actions)
    }
}

/// A rule's or a macro's name: not blank, at most [`MAX_NAME_CHARS`], one
/// line.
pub(crate) fn validate_name(name: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ValidationError::NameTooLong {
            max: MAX_NAME_CHARS,
        });
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::NameBadCharacters);
    }
    Ok(())
}

/// The idle thresholds (in minutes, ascending, each once) the enabled
/// `rules` wait for: the server schedules an `idle` happening at each of
/// them after a conversation's last activity.
pub fn idle_thresholds(rules: &[Rule]) -> Vec<u32> {
    let mut out: Vec<u32> = rules
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|r| match r.trigger {
            Trigger::Idle { minutes } => Some(minutes),
            _ => None,
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
