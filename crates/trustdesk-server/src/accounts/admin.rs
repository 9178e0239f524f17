//! The administrator's account actions: password reset, 2FA reset,
//! deactivation, role changes. Each revokes the agent's sessions (their
//! open WebSockets close at once) and is audited.

use super::passwords::Revoked;
use super::sessions::revoke_all;
use crate::accounts::audit;
use crate::accounts::password;
use crate::auth::AdminAuth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use serde::Deserialize;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::{Agent, AgentId, AgentStatus, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/agents/{id}/password", post(admin_set_password))
        .route("/v1/admin/agents/{id}/2fa/reset", post(admin_reset_2fa))
        .route("/v1/admin/agents/{id}/status", post(admin_set_status))
        .route("/v1/admin/agents/{id}/role", post(admin_set_role))
}

async fn target(state: &AppState, id: &str) -> ApiResult<Agent> {
    let id: AgentId = id.parse().map_err(|_| ApiError::NotFound)?;
    Ok(state.store.get_agent(id).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    new_password: String,
}

/// Admin: sets an agent's password (the reset path while there is no email
/// channel). Every session and API token of that agent is revoked.
#[utoipa::path(post, path = "/v1/admin/agents/{id}/password", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = SetPassword,
    responses((status = 200, body = Revoked), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn admin_set_password(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Json(req): Json<SetPassword>,
) -> ApiResult<Json<Revoked>> {
    let agent = target(&state, &id).await?;
    if req.new_password.len() > 1024 {
        return Err(ApiError::BadRequest("password too long".into()));
    }
    password::check_strength(&req.new_password).map_err(ApiError::BadRequest)?;
    let hash = password::hash(req.new_password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.set_agent_password(agent.id, hash).await?;
    let keep = (agent.id == auth.agent().id).then_some(auth.0.session_id);
    let revoked_sessions = revoke_all(&state, agent.id, keep).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::PasswordReset,
        agent.id.to_string(),
        serde_json::json!({ "revoked_sessions": revoked_sessions }),
    )
    .await?;
    Ok(Json(Revoked { revoked_sessions }))
}

/// Admin: removes an agent's 2FA (lost phone). Their sessions and tokens
/// are revoked; at the next login they enrol again.
#[utoipa::path(post, path = "/v1/admin/agents/{id}/2fa/reset", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Revoked), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn admin_reset_2fa(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Revoked>> {
    let agent = target(&state, &id).await?;
    state.store.reset_totp(agent.id).await?;
    let revoked_sessions = revoke_all(&state, agent.id, None).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::TwoFactorReset,
        agent.id.to_string(),
        serde_json::json!({ "revoked_sessions": revoked_sessions }),
    )
    .await?;
    Ok(Json(Revoked { revoked_sessions }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    #[schema(value_type = String, example = "deactivated")]
    status: AgentStatus,
}

/// Admin: deactivates (or reactivates) an agent. Deactivation revokes every
/// session and token at once.
#[utoipa::path(post, path = "/v1/admin/agents/{id}/status", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = SetStatus,
    responses((status = 200, body = Revoked), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn admin_set_status(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Json(req): Json<SetStatus>,
) -> ApiResult<Json<Revoked>> {
    let agent = target(&state, &id).await?;
    if agent.id == auth.agent().id {
        return Err(ApiError::BadRequest(
            "you cannot change your own status".into(),
        ));
    }
    state.store.set_agent_status(agent.id, req.status).await?;
    let revoked_sessions = if req.status == AgentStatus::Active {
        0
    } else {
        revoke_all(&state, agent.id, None).await?
    };
    let action = if req.status == AgentStatus::Active {
        AuditAction::AgentActivated
    } else {
        AuditAction::AgentDeactivated
    };
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        action,
        agent.id.to_string(),
        serde_json::json!({ "from": agent.status, "to": req.status, "revoked_sessions": revoked_sessions }),
    )
    .await?;
    Ok(Json(Revoked { revoked_sessions }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    #[schema(value_type = String, example = "supervisor")]
    role: Role,
}

/// Admin: changes an agent's role. Their sessions are revoked so nothing
/// keeps running with the old powers (open WebSockets included).
#[utoipa::path(post, path = "/v1/admin/agents/{id}/role", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = SetRole,
    responses((status = 200, body = Revoked), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn admin_set_role(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Json(req): Json<SetRole>,
) -> ApiResult<Json<Revoked>> {
    let agent = target(&state, &id).await?;
    if agent.id == auth.agent().id {
        return Err(ApiError::BadRequest(
            "you cannot change your own role".into(),
        ));
    }
    state.store.set_agent_role(agent.id, req.role).await?;
    let revoked_sessions = revoke_all(&state, agent.id, None).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::RoleChanged,
        agent.id.to_string(),
        serde_json::json!({ "from": agent.role, "to": req.role, "revoked_sessions": revoked_sessions }),
    )
    .await?;
    Ok(Json(Revoked { revoked_sessions }))
}
