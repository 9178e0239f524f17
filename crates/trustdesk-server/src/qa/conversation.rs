//! One conversation as QA sees it: its report facts (the reports' own
//! fold, so a review and a report never disagree on what happened), the
//! pre-checks, and how many times a supervisor overrode the outbound
//! guard in it (from the audit log).

use crate::error::ApiResult;
use crate::state::AppState;
use std::collections::HashMap;
use trustdesk_core::ConversationId;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::qa::{Finding, prechecks};
use trustdesk_core::reports::{self, ConversationFacts};
use trustdesk_store::Audience;

/// The most events of one conversation read for a review.
const MAX_EVENTS: u32 = 10_000;

pub struct Reviewed {
    pub facts: ConversationFacts,
    pub findings: Vec<Finding>,
}

pub async fn load(state: &AppState, id: ConversationId) -> ApiResult<Reviewed> {
    let conversation = state.store.get_conversation(id).await?;
    let events = state
        .store
        .events(id, 0, Audience::Team, MAX_EVENTS)
        .await?;
    let calendar = state.sla.calendar_for(conversation.priority);
    let facts = reports::facts(&conversation, &events, &calendar);
    let overrides = guard_overrides(state).await?.get(&id).copied().unwrap_or(0);
    let findings = prechecks(&facts, &events, overrides);
    Ok(Reviewed { facts, findings })
}

/// Outbound-guard overrides per conversation (audit entries whose
/// subject is the conversation).
pub async fn guard_overrides(state: &AppState) -> ApiResult<HashMap<ConversationId, u32>> {
    let mut counts = HashMap::new();
    for entry in state.store.list_audit().await? {
        if entry.action == AuditAction::GuardOverride.as_str()
            && let Ok(id) = entry.subject.parse::<ConversationId>()
        {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    Ok(counts)
}
