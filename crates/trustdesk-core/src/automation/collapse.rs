//! Turning the actions of every rule that fired in one pass into the net
//! change to carry out.
//!
//! Rules fire in order and each one's actions are applied to the subject
//! before the next is evaluated, so the *end state* of a pass is defined by
//! applying every action in order. The plan carries out exactly that end
//! state with the fewest actions, each still attributed to one rule:
//!
//! - actions that set something (the priority, the team, the status by
//!   resolve or snooze, one label's presence): the action of the **last**
//!   rule that changed it wins, and is kept only if the end value differs
//!   from the conversation as it was before the pass. A rule asking for
//!   what an earlier rule already set changed nothing (the first rule
//!   keeps its `add_label vip`); a later different value overrides (the
//!   last `set_priority` wins); `set_priority urgent` on an urgent
//!   conversation, or a label added by one rule and removed by a later
//!   one, leave nothing to do;
//! - actions that add something (a canned reply, a note, a webhook): each
//!   distinct one is kept **once**, with the first rule that asked for it.
//!
//! A rule whose actions all went this way still fired: it stays in the
//! plan with no actions, so the server can record (and rate-count) it.

use super::action::{Action, Slot};
use super::context::Subject;
use super::plan::FiredRule;
use crate::ids::RuleId;
use std::collections::HashMap;

/// The net actions of `matched` (each rule that fired with all its
/// actions, in firing order) against `before`, the subject at the start of
/// the pass.
pub(crate) fn collapse(before: &Subject, matched: Vec<(RuleId, Vec<Action>)>) -> Vec<FiredRule> {
    let flat: Vec<(usize, &Action)> = matched
        .iter()
        .enumerate()
        .flat_map(|(r, (_, actions))| actions.iter().map(move |a| (r, a)))
        .collect();
    // Replay the pass: for each slot, the last action that changed it.
    let mut seen = before.clone();
    let mut last_change: HashMap<Slot<'_>, usize> = HashMap::new();
    for (i, (_, action)) in flat.iter().enumerate() {
        if seen.apply(action)
            && let Some(slot) = action.slot()
        {
            last_change.insert(slot, i);
        }
    }
    let mut keep = vec![false; flat.len()];
    for (i, (_, action)) in flat.iter().enumerate() {
        keep[i] = match action.slot() {
            // The slot ends as this action left it; keep it if that differs
            // from where the pass started.
            Some(slot) => last_change.get(&slot) == Some(&i) && before.clone().apply(action),
            None => !flat[..i].iter().any(|(_, earlier)| earlier == action),
        };
    }
    let mut out: Vec<FiredRule> = matched
        .iter()
        .map(|(rule_id, _)| FiredRule {
            rule_id: *rule_id,
            actions: Vec::new(),
        })
        .collect();
    for ((r, action), kept) in flat.into_iter().zip(keep) {
        if kept {
            out[r].actions.push(action.clone());
        }
    }
    out
}
