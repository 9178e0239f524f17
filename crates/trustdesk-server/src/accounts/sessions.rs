//! Console sessions: who am I, logout, and revoking every session of an
//! agent (published on the bus so open sockets close).

use crate::auth::{AgentAuth, ConversationReader};
use crate::bus::{BusMessage, Topic};
use crate::error::ApiResult;
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use std::sync::Arc;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::{Agent, AgentId, SessionId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/logout", post(logout))
        .route("/v1/agent/me", get(me))
}

/// Revokes every session and API token of `agent` except `keep`, and tells
/// every node to close their WebSockets.
pub async fn revoke_all(
    state: &AppState,
    agent: AgentId,
    keep: Option<SessionId>,
) -> ApiResult<usize> {
    let revoked = state
        .store
        .revoke_agent_sessions(agent, keep, state.clock.now())
        .await?;
    let count = revoked.len();
    if count > 0 {
        state
            .bus
            .publish(
                Topic::Control,
                BusMessage::SessionsRevoked(Arc::from(revoked)),
            )
            .await;
    }
    Ok(count)
}

/// Ends this session; its WebSockets close at once.
#[utoipa::path(post, path = "/v1/agent/logout", tag = "agent", security(("bearer" = [])), responses((status = 204)))]
async fn logout(State(state): State<AppState>, auth: AgentAuth) -> ApiResult<StatusCode> {
    let session = auth.0.session_id;
    state
        .store
        .revoke_session(session, state.clock.now())
        .await?;
    crate::accounts::audit::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::accounts::audit::actor_of(&auth.0),
        AuditAction::Logout,
        session.to_string(),
        serde_json::json!({}),
    )
    .await?;
    state
        .bus
        .publish(
            Topic::Control,
            BusMessage::SessionsRevoked(Arc::from(vec![session])),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in agent.
#[utoipa::path(get, path = "/v1/agent/me", tag = "agent", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn me(auth: ConversationReader) -> Json<Agent> {
    Json(auth.agent().clone())
}
