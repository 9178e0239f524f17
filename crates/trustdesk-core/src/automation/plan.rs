//! The pure planner: which rules fire on one happening, and what they do.
//!
//! The server calls [`plan`] after it writes an event that is a trigger
//! (and for the `conversation_created` and `idle` happenings it raises
//! itself), carries out the plan's actions through the ordinary services,
//! and plans again for each happening those actions cause, with
//! [`Firing::follow_up`]. The core decides; the server does the IO.
//!
//! # Loop safety
//!
//! Rules that react to each other could run forever (rule A resolves,
//! rule B reopens, …). Three limits stop that, checked in this order for
//! each rule whose trigger matches:
//!
//! 1. a rule never fires on a happening its own action caused
//!    (`caused_by_rule`);
//! 2. a firing at depth `max_depth` or more fires nothing: chains of rules
//!    causing rules are at most `max_depth` generations long;
//! 3. at most `max_per_conversation_per_hour` rules fire on one
//!    conversation in an hour: the server passes how many fired in the last
//!    hour, and planning stops when the count is reached.
//!
//! # Order and chaining
//!
//! Rules are considered in ascending `position`, then id. Each rule that
//! fires has its actions applied to the subject (see [`Subject::apply`])
//! before the next rule is evaluated, so a later rule sees the label an
//! earlier one added and the priority it set. The actions are then
//! collapsed into the net change (see `collapse.rs`).

use super::action::Action;
use super::collapse::collapse;
use super::context::{Firing, Subject};
use super::rule::Rule;
use crate::ids::RuleId;
use serde::{Deserialize, Serialize};

/// The loop-safety limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A firing at this depth or deeper fires no rule (default 3).
    pub max_depth: u32,
    /// Most rule firings on one conversation in any hour (default 20).
    pub max_per_conversation_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 3,
            max_per_conversation_per_hour: 20,
        }
    }
}

/// A rule that fired, with the actions left to carry out (possibly none:
/// see `collapse.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    pub rule_id: RuleId,
    pub actions: Vec<Action>,
}

/// A rule whose trigger matched but that did not fire, and why. Rules
/// waiting for another kind of happening are not listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRule {
    pub rule_id: RuleId,
    pub reason: SkipReason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SkipReason {
    Disabled,
    /// The rule does not pass [`Rule::validate`] (stored before a limit
    /// changed, say); it is never run half-checked.
    Invalid {
        error: String,
    },
    /// The happening was caused by this rule's own action.
    OwnAction,
    DepthLimit {
        depth: u32,
        max_depth: u32,
    },
    /// `fired_last_hour` includes the rules fired earlier in this pass.
    RateLimit {
        fired_last_hour: u32,
        max: u32,
    },
    /// The rule's condition does not hold.
    ConditionFalse,
}

/// What one happening makes the rules do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// In firing order.
    pub fired: Vec<FiredRule>,
    /// In the order considered.
    pub skipped: Vec<SkippedRule>,
}

impl Plan {
    /// Every action to carry out, in order, with the rule it is from (the
    /// `caused_by_rule` of the happenings it causes).
    pub fn actions(&self) -> impl Iterator<Item = (RuleId, &Action)> {
        self.fired
            .iter()
            .flat_map(|f| f.actions.iter().map(move |a| (f.rule_id, a)))
    }

    /// Nothing to carry out.
    pub fn is_empty(&self) -> bool {
        self.actions().next().is_none()
    }
}

/// Plans the rules for one happening (see the module doc).
/// `recent_firings_for_conversation` is how many rules fired on this
/// conversation in the last hour, this happening not included.
pub fn plan(
    rules: &[Rule],
    firing: &Firing,
    subject: &Subject,
    limits: &Limits,
    recent_firings_for_conversation: u32,
) -> Plan {
    let mut candidates: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.trigger.matches(&firing.trigger_event))
        .collect();
    candidates.sort_by_key(|r| (r.position, r.id));

    let mut seen = subject.clone();
    let mut count = recent_firings_for_conversation;
    let mut matched = Vec::new();
    let mut skipped = Vec::new();
    for rule in candidates {
        let reason = if !rule.enabled {
            SkipReason::Disabled
        } else if let Err(e) = rule.validate() {
            SkipReason::Invalid {
                error: e.to_string(),
            }
        } else if firing.caused_by_rule == Some(rule.id) {
            SkipReason::OwnAction
        } else if firing.depth >= limits.max_depth {
            SkipReason::DepthLimit {
                depth: firing.depth,
                max_depth: limits.max_depth,
            }
        } else if count >= limits.max_per_conversation_per_hour {
            SkipReason::RateLimit {
                fired_last_hour: count,
                max: limits.max_per_conversation_per_hour,
            }
        } else if !rule.condition.matches(&seen) {
            SkipReason::ConditionFalse
        } else {
            for action in &rule.actions {
                seen.apply(action);
            }
            count = count.saturating_add(1);
            matched.push((rule.id, rule.actions.clone()));
            continue;
        };
        skipped.push(SkippedRule {
            rule_id: rule.id,
            reason,
        });
    }
    Plan {
        fired: collapse(subject, matched),
        skipped,
    }
}
