//! What the console shows beside a conversation: the customer's other
//! conversations and the conversation's SLA clocks.
//!
//! Both are reached through a conversation the agent may see, never through
//! a customer id, so the routes cannot be used to enumerate customers; each
//! listed conversation passes the same visibility rule as opening it.

use crate::auth::{AgentAuth, ConversationReader};
use crate::conversations::views::ConversationPage;
use crate::error::ApiResult;
use crate::http::extract::{ConversationPath, Json};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use trustdesk_store::ConversationFilter;

/// Most conversations listed.
const LIMIT: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/conversations/{id}/related", get(related))
        .route("/v1/agent/conversations/{id}/sla", get(sla_clocks))
        .route("/v1/agent/sla/at-risk", get(at_risk))
}

/// Most conversations the at-risk list returns.
const AT_RISK_LIMIT: usize = 200;

/// Active conversations the caller may see with an SLA clock running in
/// its warning window or already past its target, most urgent first (the
/// console's "SLA at risk" filter).
#[utoipa::path(get, path = "/v1/agent/sla/at-risk", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = ConversationPage)))]
pub(crate) async fn at_risk(
    State(state): State<AppState>,
    auth: AgentAuth,
) -> ApiResult<Json<ConversationPage>> {
    let now = state.conversations.clock().now();
    let mut risky = Vec::new();
    for conversation in state.store.active_conversations().await? {
        if !crate::conversations::Conversations::agent_may_see(auth.agent(), &conversation) {
            continue;
        }
        let clocks =
            crate::sla::worker::clocks(&state.sla, state.store.as_ref(), &conversation, now)
                .await
                .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
        let soonest = clocks
            .iter()
            .filter(|c| !c.stopped && !c.paused && c.status != trustdesk_core::sla::SlaStatus::Ok)
            .map(|c| c.remaining_ms)
            .min();
        if let Some(remaining) = soonest {
            risky.push((remaining, conversation));
        }
    }
    risky.sort_by_key(|(remaining, _)| *remaining);
    Ok(Json(ConversationPage {
        conversations: risky
            .into_iter()
            .take(AT_RISK_LIMIT)
            .map(|(_, c)| c)
            .collect(),
        next_before: None,
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SlaClocks {
    clocks: Vec<crate::sla::worker::ClockView>,
}

/// The conversation's SLA clocks now: each metric's status, due time and
/// whether it is paused (pending on the customer) or done.
#[utoipa::path(get, path = "/v1/agent/conversations/{id}/sla", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SlaClocks), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn sla_clocks(
    State(state): State<AppState>,
    auth: ConversationReader,
    ConversationPath(id): ConversationPath,
) -> ApiResult<Json<SlaClocks>> {
    let conversation = state.conversations.visible(&auth.0, id).await?;
    let now = state.conversations.clock().now();
    let clocks = crate::sla::worker::clocks(&state.sla, state.store.as_ref(), &conversation, now)
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    Ok(Json(SlaClocks { clocks }))
}

/// The same customer's other conversations, newest first.
#[utoipa::path(get, path = "/v1/agent/conversations/{id}/related", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ConversationPage), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn related(
    State(state): State<AppState>,
    auth: ConversationReader,
    ConversationPath(id): ConversationPath,
) -> ApiResult<Json<ConversationPage>> {
    let conversation = state.conversations.visible(&auth.0, id).await?;
    let filter = ConversationFilter {
        customer_id: Some(conversation.customer_id),
        limit: LIMIT + 1,
        ..Default::default()
    };
    let mut conversations = Vec::new();
    for other in state.store.list_conversations(&filter).await? {
        if other.id == conversation.id {
            continue;
        }
        // The rows are loaded already: the scope rule needs no second read.
        if crate::conversations::Conversations::agent_may_see(auth.agent(), &other) {
            conversations.push(other);
        }
    }
    conversations.truncate(LIMIT as usize);
    Ok(Json(ConversationPage {
        conversations,
        next_before: None,
    }))
}
