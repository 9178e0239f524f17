//! Recording sensitive actions in the hash-chained audit log.

use crate::auth::{Authenticated, Who};
use crate::error::ApiResult;
use trustdesk_core::Timestamp;
use trustdesk_core::audit::AuditAction;
use trustdesk_store::{NewAudit, Store};

/// How an actor is written in the log.
pub fn actor_of(who: &Authenticated) -> String {
    match &who.who {
        Who::Customer(id) => format!("customer:{id}"),
        Who::Agent(agent) => format!("agent:{}", agent.id),
    }
}

/// Appends one entry. Details must never hold secrets or message text.
pub async fn record(
    store: &dyn Store,
    at: Timestamp,
    actor: String,
    action: AuditAction,
    subject: String,
    detail: serde_json::Value,
) -> ApiResult<()> {
    store
        .append_audit(&NewAudit {
            at,
            actor,
            action: action.as_str().into(),
            subject,
            detail: detail.to_string(),
        })
        .await?;
    Ok(())
}
