//! "What would this rule have done on the last N conversations?": a draft
//! rule run against recorded happenings before it is switched on.
//!
//! The server rebuilds `(Firing, Subject)` cases from recent conversations;
//! the rule is judged as if it were enabled and alone: its trigger must
//! match, its condition hold, and it must not be the rule that caused the
//! happening. The depth and rate limits are left out (they depend on the
//! other rules and on timing, not on the rule being tested), and so is the
//! effect of other rules earlier in the order.

use super::context::{Firing, Subject};
use super::rule::Rule;
use serde::{Deserialize, Serialize};

/// The outcome of a dry run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRun {
    /// Indexes into the cases on which the rule would have fired, ascending.
    pub matched: Vec<usize>,
    /// How many cases its trigger matched (whether or not it fired).
    pub triggered: usize,
    /// How many cases were looked at.
    pub examined: usize,
}

/// Runs `rule` against each case (see the module doc).
pub fn dry_run(rule: &Rule, cases: &[(Firing, Subject)]) -> DryRun {
    let mut out = DryRun {
        examined: cases.len(),
        ..DryRun::default()
    };
    for (i, (firing, subject)) in cases.iter().enumerate() {
        if !rule.trigger.matches(&firing.trigger_event) {
            continue;
        }
        out.triggered += 1;
        if firing.caused_by_rule != Some(rule.id) && rule.condition.matches(subject) {
            out.matched.push(i);
        }
    }
    out
}
