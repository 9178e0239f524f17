//! Scoped, revocable API tokens for integrations.

use super::login::check_second_factor;
use crate::accounts::audit;
use crate::accounts::totp;
use crate::auth::{AgentAuth, ApiScope, token};
use crate::bus::{BusMessage, Topic};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::{Role, SessionId, Timestamp};
use trustdesk_store::{ApiTokenInfo, Principal, Session};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/tokens", get(list_tokens).post(create_token))
        .route("/v1/agent/tokens/{id}", delete(revoke_token))
}

/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "tdk_";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. `exchange-backend`.
    name: String,
    /// `conversations:read` and/or `conversations:write`.
    scopes: Vec<String>,
    /// A fresh TOTP code: creating a token needs the second factor again.
    code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenView {
    #[schema(value_type = String)]
    id: SessionId,
    name: String,
    scopes: Vec<String>,
    #[schema(value_type = i64)]
    created_at: Timestamp,
    #[schema(value_type = i64)]
    expires_at: Timestamp,
    #[schema(value_type = Option<i64>)]
    revoked_at: Option<Timestamp>,
    /// Only in the answer to creation: the token itself, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl TokenView {
    fn of(session: &Session, token: Option<String>) -> Option<Self> {
        let info = session.api_token.as_ref()?;
        Some(Self {
            id: session.id,
            name: info.name.clone(),
            scopes: info.scopes.clone(),
            created_at: session.created_at,
            expires_at: session.expires_at,
            revoked_at: session.revoked_at,
            token,
        })
    }
}

/// Creates a scoped API token for the exchange's backend or an
/// integration. It acts as the calling agent, within its scopes; only its
/// hash is stored.
#[utoipa::path(post, path = "/v1/agent/tokens", tag = "agent", security(("bearer" = [])), request_body = CreateToken,
    responses((status = 201, body = TokenView), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    auth: AgentAuth,
    Json(req): Json<CreateToken>,
) -> ApiResult<(StatusCode, Json<TokenView>)> {
    let agent = auth.agent().clone();
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "name must have 1 to 64 printable characters".into(),
        ));
    }
    let mut scopes = Vec::new();
    for scope in &req.scopes {
        if ApiScope::parse(scope).is_none() {
            let names: Vec<&str> = ApiScope::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::BadRequest(format!(
                "unknown scope; use {}",
                names.join(" or ")
            )));
        }
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    if scopes.is_empty() {
        return Err(ApiError::BadRequest("give at least one scope".into()));
    }
    if !state
        .auth_account_limiter
        .allow(format!("2fa:{}", agent.id))
        .await
    {
        return Err(ApiError::RateLimited);
    }
    if !totp::looks_like_totp(&req.code) {
        return Err(ApiError::Unauthorized);
    }
    check_second_factor(&state, agent.id, &req.code).await?;
    let now = state.clock.now();
    let (token, token_hash) = token::issue(API_TOKEN_PREFIX);
    let session = Session {
        id: SessionId::new(),
        token_hash,
        principal: Principal::Agent(agent.id),
        created_at: now,
        expires_at: now.plus_millis(state.config.sessions.api_token_days.max(1) * 86_400_000),
        revoked_at: None,
        api_token: Some(ApiTokenInfo {
            name: name.to_owned(),
            scopes,
        }),
        pending: None,
    };
    state.store.create_session(&session).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::ApiTokenCreated,
        session.id.to_string(),
        serde_json::json!({ "name": name, "scopes": session.api_token.as_ref().map(|t| t.scopes.clone()) }),
    )
    .await?;
    let view = TokenView::of(&session, Some(token))
        .ok_or_else(|| ApiError::Internal("token without info".into()))?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    tokens: Vec<TokenView>,
}

/// The caller's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/v1/agent/tokens", tag = "agent", security(("bearer" = [])), responses((status = 200, body = TokenList)))]
async fn list_tokens(State(state): State<AppState>, auth: AgentAuth) -> ApiResult<Json<TokenList>> {
    let tokens = state
        .store
        .list_api_tokens(auth.agent().id)
        .await?
        .iter()
        .filter_map(|s| TokenView::of(s, None))
        .collect();
    Ok(Json(TokenList { tokens }))
}

/// Revokes an API token: the caller's own, or any agent's for an admin.
/// Anyone else's token id is `404`, like a missing one.
#[utoipa::path(delete, path = "/v1/agent/tokens/{id}", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    auth: AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: SessionId = id.parse().map_err(|_| ApiError::NotFound)?;
    let session = state.store.get_session(id).await?;
    let owner = match session.principal {
        Principal::Agent(owner) if session.api_token.is_some() => owner,
        _ => return Err(ApiError::NotFound),
    };
    if owner != auth.agent().id && !auth.is_at_least(Role::Admin) {
        return Err(ApiError::NotFound);
    }
    state.store.revoke_session(id, state.clock.now()).await?;
    state
        .bus
        .publish(
            Topic::Control,
            BusMessage::SessionsRevoked(Arc::from(vec![id])),
        )
        .await;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::ApiTokenRevoked,
        id.to_string(),
        serde_json::json!({ "owner": owner.to_string() }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
