//! An agent's own password change and the reset request.

use super::login::limit;
use super::sessions::revoke_all;
use crate::accounts::audit;
use crate::accounts::password;
use crate::auth::AgentAuth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::http::ratelimit::ClientIp;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/password", post(change_password))
        .route("/v1/agent/password-reset", post(request_reset))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Revoked {
    /// Other sessions and API tokens revoked (their WebSockets close).
    pub(super) revoked_sessions: usize,
}

/// Changes the caller's password; every other session and API token of the
/// agent is revoked and their WebSockets close.
#[utoipa::path(post, path = "/v1/agent/password", tag = "agent", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 200, body = Revoked), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    auth: AgentAuth,
    Json(req): Json<ChangePassword>,
) -> ApiResult<Json<Revoked>> {
    let agent = auth.agent().clone();
    limit(&state, client, &agent.email).await?;
    if req.current_password.len() > 1024 || req.new_password.len() > 1024 {
        return Err(ApiError::BadRequest("password too long".into()));
    }
    password::check_strength(&req.new_password).map_err(ApiError::BadRequest)?;
    let stored = state
        .store
        .agent_credentials(&agent.email)
        .await?
        .map(|(_, hash)| hash);
    if !password::verify(req.current_password, stored).await {
        return Err(ApiError::Unauthorized);
    }
    let hash = password::hash(req.new_password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.set_agent_password(agent.id, hash).await?;
    let revoked_sessions = revoke_all(&state, agent.id, Some(auth.0.session_id)).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::PasswordChanged,
        agent.id.to_string(),
        serde_json::json!({ "revoked_sessions": revoked_sessions }),
    )
    .await?;
    Ok(Json(Revoked { revoked_sessions }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    email: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResetAccepted {
    status: &'static str,
}

/// Asks for a password reset. There is no email channel yet: a request for
/// a real account is written to the audit log for an administrator, who
/// resets the password (`/v1/admin/agents/{id}/password`). The answer is
/// the same `202` for known and unknown emails, and costs the same time
/// (an argon2 hash is checked either way; the audit write happens after
/// the answer).
#[utoipa::path(post, path = "/v1/agent/password-reset", tag = "agent", request_body = ResetRequest,
    responses((status = 202, body = ResetAccepted), (status = 429, body = crate::error::ErrorBody)))]
async fn request_reset(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<ResetRequest>,
) -> ApiResult<(StatusCode, Json<ResetAccepted>)> {
    limit(&state, client, &req.email).await?;
    let accepted = (
        StatusCode::ACCEPTED,
        Json(ResetAccepted { status: "accepted" }),
    );
    if req.email.len() > 254 {
        // Same work, same answer.
        let _ = password::verify(String::new(), None).await;
        return Ok(accepted);
    }
    let found = state.store.agent_credentials(&req.email).await?;
    // The same argon2 work for both cases.
    let _ = password::verify(String::new(), None).await;
    if let Some((agent, _)) = found {
        let store = state.store.clone();
        let requested_at = state.clock.now();
        tokio::spawn(async move {
            let result = audit::record(
                store.as_ref(),
                requested_at,
                "anonymous".into(),
                AuditAction::PasswordResetRequested,
                agent.id.to_string(),
                serde_json::json!({}),
            )
            .await;
            if result.is_err() {
                tracing::warn!("could not record a password reset request");
            }
        });
    }
    Ok(accepted)
}
