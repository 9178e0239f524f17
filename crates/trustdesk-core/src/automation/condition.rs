//! When a rule applies: a small tree of `all` / `any` / `not` over leaves
//! that each read one fact of the [`Subject`]. Kept shallow and small by
//! [`Condition::validate_shape`] so that an admin can still read a rule, and
//! evaluation of any stored rule is cheap.

use super::context::Subject;
use super::error::ValidationError;
use super::label::Label;
use crate::model::{Category, Channel, ConversationStatus, Language, Priority};
use serde::{Deserialize, Serialize};

/// Deepest nesting: a leaf is 1 level, `all` of leaves 2, and so on.
pub const MAX_CONDITION_DEPTH: usize = 5;
/// Most leaves in one rule's condition.
pub const MAX_CONDITION_LEAVES: usize = 50;
/// Longest `message_contains` text, in characters.
pub const MAX_MESSAGE_TEXT_CHARS: usize = 200;

/// A condition. JSON: `{"type":"all","of":[{"type":"category","in":["security"]},
/// {"type":"has_label","label":"vip"}]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Every condition holds; `all` of nothing always holds (a rule with no
    /// conditions).
    All {
        of: Vec<Condition>,
    },
    /// At least one holds.
    Any {
        of: Vec<Condition>,
    },
    Not {
        condition: Box<Condition>,
    },
    /// The category is one of these; `null` in the list matches a
    /// conversation triage has not categorised yet.
    Category {
        #[serde(rename = "in")]
        any_of: Vec<Option<Category>>,
    },
    /// The language is one of these; `null` matches "not known yet".
    Language {
        #[serde(rename = "in")]
        any_of: Vec<Option<Language>>,
    },
    Priority {
        #[serde(rename = "in")]
        any_of: Vec<Priority>,
    },
    /// The priority is this one or more urgent.
    PriorityAtLeast {
        at_least: Priority,
    },
    Channel {
        #[serde(rename = "in")]
        any_of: Vec<Channel>,
    },
    Status {
        #[serde(rename = "in")]
        any_of: Vec<ConversationStatus>,
    },
    HasLabel {
        label: Label,
    },
    CustomerVerified {
        is: bool,
    },
    /// Inside (`true`) or outside (`false`) the conversation's business
    /// hours at the time of the firing.
    BusinessHours {
        is: bool,
    },
    /// The triggering message contains this text, ignoring case. False when
    /// the firing has no message (an SLA breach, an idle conversation).
    MessageContains {
        text: String,
    },
    /// Whether an agent is assigned.
    Assigned {
        is: bool,
    },
}

impl Default for Condition {
    /// Always true: `{"type":"all","of":[]}`.
    fn default() -> Self {
        Condition::All { of: Vec::new() }
    }
}

impl Condition {
    /// Whether the condition holds for `subject`.
    pub fn matches(&self, subject: &Subject) -> bool {
        match self {
            Self::All { of } => of.iter().all(|c| c.matches(subject)),
            Self::Any { of } => of.iter().any(|c| c.matches(subject)),
            Self::Not { condition } => !condition.matches(subject),
            Self::Category { any_of } => any_of.contains(&subject.category),
            Self::Language { any_of } => any_of.contains(&subject.language),
            Self::Priority { any_of } => any_of.contains(&subject.priority),
            Self::PriorityAtLeast { at_least } => subject.priority >= *at_least,
            Self::Channel { any_of } => any_of.contains(&subject.channel),
            Self::Status { any_of } => any_of.contains(&subject.status),
            Self::HasLabel { label } => subject.labels.contains(label),
            Self::CustomerVerified { is } => subject.customer_verified == *is,
            Self::BusinessHours { is } => subject.in_business_hours == *is,
            Self::MessageContains { text } => subject
                .message
                .as_ref()
                .is_some_and(|m| m.text.to_lowercase().contains(&text.to_lowercase())),
            Self::Assigned { is } => subject.assigned == *is,
        }
    }

    /// Checks depth, size and each leaf. Descends at most
    /// [`MAX_CONDITION_DEPTH`] + 1 levels whatever the input, so a
    /// hostile tree cannot make validation itself expensive.
    pub fn validate_shape(&self) -> Result<(), ValidationError> {
        let mut leaves = 0;
        self.check(1, &mut leaves)
    }

    fn check(&self, depth: usize, leaves: &mut usize) -> Result<(), ValidationError> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(ValidationError::ConditionTooDeep {
                max: MAX_CONDITION_DEPTH,
            });
        }
        let children: &[Condition] = match self {
            Self::All { of } => of,
            Self::Any { of } if of.is_empty() => return Err(ValidationError::EmptyAny),
            Self::Any { of } => of,
            Self::Not { condition } => std::slice::from_ref(condition.as_ref()),
            leaf => {
                *leaves += 1;
                if *leaves > MAX_CONDITION_LEAVES {
                    return Err(ValidationError::TooManyConditions {
                        max: MAX_CONDITION_LEAVES,
                    });
                }
                return leaf.check_leaf();
            }
        };
        for child in children {
            child.check(depth + 1, leaves)?;
        }
        Ok(())
    }

    fn check_leaf(&self) -> Result<(), ValidationError> {
        let empty = |leaf| Err(ValidationError::EmptySet { leaf });
        match self {
            Self::Category { any_of } if any_of.is_empty() => empty("category"),
            Self::Language { any_of } if any_of.is_empty() => empty("language"),
            Self::Priority { any_of } if any_of.is_empty() => empty("priority"),
            Self::Channel { any_of } if any_of.is_empty() => empty("channel"),
            Self::Status { any_of } if any_of.is_empty() => empty("status"),
            Self::MessageContains { text }
                if text.trim().is_empty() || text.chars().count() > MAX_MESSAGE_TEXT_CHARS =>
            {
                Err(ValidationError::BadMessageText {
                    max: MAX_MESSAGE_TEXT_CHARS,
                })
            }
            _ => Ok(()),
        }
    }
}
