//! Macros: a saved list of actions an agent runs by hand on one
//! conversation ("escalate to security": priority urgent, label, team,
//! note). They use the same [`Action`]s and the same checks as rules.
//!
//! A macro cannot send a webhook. Webhooks are the exchange's integration
//! contract; an automation rule that sends one is set up by an admin,
//! guarded by its conditions and audited as automation, while a macro is a
//! button any agent can press on any conversation. On a crypto exchange an
//! agent talked into pressing "notify the risk system" is exactly the
//! social engineering trustdesk is built to resist, and what a macro
//! changes (status, team, priority) already reaches subscribers as the
//! ordinary events.
//!
//! The events a macro's actions write are caused by the agent, not by a
//! rule: rules may react to them as to any change made by hand (depth 0).

use super::action::{Action, validate_actions};
use super::error::{ActionError, ValidationError};
use super::rule::validate_name;
use crate::ids::MacroId;
use serde::{Deserialize, Serialize};

/// A saved list of actions. JSON:
/// `{"id":"…","name":"Escalate","actions":[{"type":"resolve"}]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Macro {
    pub id: MacroId,
    pub name: String,
    pub actions: Vec<Action>,
}

impl Macro {
    /// The rule checks for the name and the actions, and no webhook.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_name(&self.name)?;
        validate_actions(&self.actions)?;
        if let Some(index) = self
            .actions
            .iter()
            .position(|a| matches!(a, Action::SendWebhook { .. }))
        {
            return Err(ValidationError::Action {
                index,
                error: ActionError::WebhookInMacro,
            });
        }
        Ok(())
    }
}
