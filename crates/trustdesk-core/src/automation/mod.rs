//! Automation rules and macros, decided without IO.
//!
//! A [`Rule`] says: when this happens to a conversation ([`Trigger`]), and
//! the conversation fits ([`Condition`]), do these [`Action`]s — the
//! triggers of Zendesk and the automations of Chatwoot, made loop-safe. A
//! [`Macro`] is a saved list of the same actions that an agent runs by
//! hand.
//!
//! The server builds what a rule sees ([`Subject`], [`Firing`]), asks
//! [`plan`] what to do, carries the actions out through the ordinary
//! services, and plans again for what those actions caused. Nothing here
//! reads a clock, a database or the network: a plan depends only on its
//! arguments, so the same rules decide the same way live, in a
//! [`dry_run`] and in tests.
//!
//! - label.rs: the [`Label`] newtype (labels are also set by hand);
//! - condition.rs, action.rs, rule.rs: the rule itself and its checks;
//! - context.rs: what a rule sees;
//! - plan.rs, collapse.rs: ordering, chaining, loop safety, the net change;
//! - dry_run.rs, macros.rs.
//!
//! The JSON forms and the behaviour are described in `docs/automation.md`.

mod action;
mod collapse;
mod condition;
mod context;
mod dry_run;
mod error;
mod label;
mod macros;
mod plan;
mod rule;

#[cfg(test)]
mod json_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod validate_tests;

pub use action::{Action, MAX_ACTIONS, MAX_MINUTES, MAX_NOTE_CHARS, MAX_WEBHOOK_EVENT_CHARS};
pub use condition::{Condition, MAX_CONDITION_DEPTH, MAX_CONDITION_LEAVES, MAX_MESSAGE_TEXT_CHARS};
pub use context::{Firing, Sender, Subject, TriggerEvent, TriggeringMessage};
pub use dry_run::{DryRun, dry_run};
pub use error::{ActionError, ValidationError};
pub use label::{Label, LabelError, MAX_LABEL_CHARS};
pub use macros::Macro;
pub use plan::{FiredRule, Limits, Plan, SkipReason, SkippedRule, plan};
pub use rule::{MAX_NAME_CHARS, Rule, Trigger, idle_thresholds};
