//! Agent account security: the two-step login (password → ticket → TOTP or
//! recovery code → session), 2FA enrolment, password change and reset,
//! API tokens, and the administrator's account actions (password reset,
//! 2FA reset, deactivation, role changes).
//!
//! Every action that changes who can get in revokes the agent's other
//! sessions and publishes the revocation, so their open WebSockets close
//! at once (close code 4002 `session_revoked`). Every one is audited.

use crate::auth::{self, AgentAuth, password, token, totp};
use crate::bus::{BusMessage, Topic};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::http::ratelimit::ClientIp;
use crate::services::audit;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trustdesk_core::{Agent, AgentId, AgentStatus, Role, SessionId, Timestamp};
use trustdesk_store::{ApiTokenInfo, Pending, Principal, Session};

/// Prefix of login tickets (not sessions: they open only the next step).
pub const TICKET_PREFIX: &str = "tdt_";
/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "tdk_";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/login", post(login))
        .route("/v1/agent/login/2fa", post(second_factor))
        .route("/v1/agent/2fa/enrol", post(enrol))
        .route("/v1/agent/2fa/confirm", post(confirm))
        .route("/v1/agent/password", post(change_password))
        .route("/v1/agent/password-reset", post(request_reset))
        .route("/v1/agent/tokens", get(list_tokens).post(create_token))
        .route("/v1/agent/tokens/{id}", delete(revoke_token))
        .route("/v1/admin/agents/{id}/password", post(admin_set_password))
        .route("/v1/admin/agents/{id}/2fa/reset", post(admin_reset_2fa))
        .route("/v1/admin/agents/{id}/status", post(admin_set_status))
        .route("/v1/admin/agents/{id}/role", post(admin_set_role))
}

// --- rate limits --------------------------------------------------------------

/// Counts one attempt for the client address and for the account; the same
/// `429` whether the account exists or not.
fn limit(state: &AppState, client: std::net::IpAddr, account: &str) -> ApiResult<()> {
    let ip_ok = state.auth_ip_limiter.allow(client);
    // No email is longer than 254 characters: longer input shares one
    // bucket, so the limiter's memory stays bounded.
    let key = if account.len() > 254 {
        "<overlong>".to_owned()
    } else {
        account.trim().to_lowercase()
    };
    let account_ok = state.auth_account_limiter.allow(key);
    if ip_ok && account_ok {
        Ok(())
    } else {
        Err(ApiError::RateLimited)
    }
}

// --- login ------------------------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ticket {
    /// A short-lived login ticket. It is not a session: it only opens the
    /// next step.
    ticket: String,
    /// `totp`: send a code to `/v1/agent/login/2fa`. `enrol`: set up 2FA
    /// with `/v1/agent/2fa/enrol` and `/v1/agent/2fa/confirm` first.
    next: &'static str,
    #[schema(value_type = i64)]
    expires_at: Timestamp,
}

/// Step 1: email and password. Unknown email, wrong password and a
/// deactivated account get the same `401`, in the same time (a dummy
/// argon2 hash stands in for a missing account).
#[utoipa::path(post, path = "/v1/agent/login", tag = "agent", request_body = Login,
    responses((status = 200, body = Ticket), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<Login>,
) -> ApiResult<Json<Ticket>> {
    limit(&state, client, &req.email)?;
    if req.email.len() > 254 || req.password.len() > 1024 {
        return Err(ApiError::Unauthorized);
    }
    let found = state.store.agent_credentials(&req.email).await?;
    let (agent, hash) = match found {
        Some((agent, hash)) => (Some(agent), Some(hash)),
        None => (None, None),
    };
    let valid = password::verify(req.password, hash).await;
    let agent = match agent {
        Some(agent) if valid && agent.status == AgentStatus::Active => agent,
        _ => return Err(ApiError::Unauthorized),
    };
    let enrolled = state
        .store
        .get_totp(agent.id)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some());
    let pending = if enrolled {
        Pending::SecondFactor
    } else {
        Pending::Enrolment
    };
    let (ticket, expires_at) = issue_ticket(&state, agent.id, pending).await?;
    tracing::info!(agent = %agent.id, "agent password accepted; second factor next");
    Ok(Json(Ticket {
        ticket,
        next: if enrolled { "totp" } else { "enrol" },
        expires_at,
    }))
}

async fn issue_ticket(
    state: &AppState,
    agent: AgentId,
    pending: Pending,
) -> ApiResult<(String, Timestamp)> {
    let now = Timestamp::now();
    let (ticket, token_hash) = token::issue(TICKET_PREFIX);
    let expires_at = now.plus_millis(state.config.sessions.login_ticket_secs.max(30) * 1000);
    state
        .store
        .create_session(&Session {
            id: SessionId::new(),
            token_hash,
            principal: Principal::Agent(agent),
            created_at: now,
            expires_at,
            revoked_at: None,
            api_token: None,
            pending: Some(pending),
        })
        .await?;
    Ok((ticket, expires_at))
}

/// The live ticket of this kind, and its active agent. Anything else is the
/// same `401`.
async fn redeem(state: &AppState, ticket: &str, kind: Pending) -> ApiResult<(Session, Agent)> {
    if !ticket.starts_with(TICKET_PREFIX) || ticket.len() > 128 {
        return Err(ApiError::Unauthorized);
    }
    let session = state
        .store
        .session_by_token_hash(&token::hash(ticket))
        .await?
        .filter(|s| s.pending == Some(kind) && s.is_live(Timestamp::now()))
        .ok_or(ApiError::Unauthorized)?;
    let Principal::Agent(id) = session.principal else {
        return Err(ApiError::Unauthorized);
    };
    let agent = state
        .store
        .get_agent(id)
        .await
        .map_err(|_| ApiError::Unauthorized)?;
    if agent.status != AgentStatus::Active {
        return Err(ApiError::Unauthorized);
    }
    Ok((session, agent))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactor {
    ticket: String,
    /// A 6-digit TOTP code, or a recovery code (`XXXXX-XXXXX`).
    code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoggedIn {
    /// Bearer token for the API and the WebSocket. Shown once.
    token: String,
    #[schema(value_type = Object)]
    agent: Agent,
    #[schema(value_type = i64)]
    expires_at: Timestamp,
    /// Only after enrolment: one-time recovery codes, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
    /// After a recovery code was used: how many are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes_left: Option<i64>,
}

/// Checks a TOTP code (±1 step, each step once) or a recovery code (once).
/// Returns whether a recovery code was used.
async fn check_second_factor(state: &AppState, agent: AgentId, code: &str) -> ApiResult<bool> {
    if code.len() > 64 {
        return Err(ApiError::Unauthorized);
    }
    if totp::looks_like_totp(code) {
        let record = state
            .store
            .get_totp(agent)
            .await?
            .filter(|t| t.confirmed_at.is_some())
            .ok_or(ApiError::Unauthorized)?;
        let step = totp::matching_step(&record.secret, code, totp::now_secs())
            .ok_or(ApiError::Unauthorized)?;
        // Atomic: of two requests with the same code, one wins.
        if !state.store.consume_totp_step(agent, step).await? {
            return Err(ApiError::Unauthorized);
        }
        Ok(false)
    } else {
        let used = state
            .store
            .consume_recovery_code(agent, totp::hash_recovery_code(code), Timestamp::now())
            .await?;
        if !used {
            return Err(ApiError::Unauthorized);
        }
        Ok(true)
    }
}

/// Step 2: the second factor. A wrong, reused or expired code and an
/// unknown ticket all get the same `401`.
#[utoipa::path(post, path = "/v1/agent/login/2fa", tag = "agent", request_body = SecondFactor,
    responses((status = 200, body = LoggedIn), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn second_factor(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<SecondFactor>,
) -> ApiResult<Json<LoggedIn>> {
    if !state.auth_ip_limiter.allow(client) {
        return Err(ApiError::RateLimited);
    }
    let (ticket, agent) = redeem(&state, &req.ticket, Pending::SecondFactor).await?;
    if !state
        .auth_account_limiter
        .allow(format!("2fa:{}", agent.id))
    {
        return Err(ApiError::RateLimited);
    }
    let used_recovery = match check_second_factor(&state, agent.id, &req.code).await {
        Ok(used) => used,
        Err(err) => {
            audit::record(
                state.store.as_ref(),
                format!("agent:{}", agent.id),
                "agent.2fa.failed",
                agent.id.to_string(),
                serde_json::json!({}),
            )
            .await?;
            return Err(err);
        }
    };
    state
        .store
        .revoke_session(ticket.id, Timestamp::now())
        .await?;
    let (token, session) = open_session(&state, &agent).await?;
    audit::record(
        state.store.as_ref(),
        format!("agent:{}", agent.id),
        "agent.login",
        session.to_string(),
        serde_json::json!({ "second_factor": if used_recovery { "recovery_code" } else { "totp" } }),
    )
    .await?;
    let recovery_codes_left = if used_recovery {
        Some(state.store.recovery_codes_left(agent.id).await?)
    } else {
        None
    };
    Ok(Json(LoggedIn {
        expires_at: token.1,
        token: token.0,
        agent,
        recovery_codes: None,
        recovery_codes_left,
    }))
}

async fn open_session(
    state: &AppState,
    agent: &Agent,
) -> ApiResult<((String, Timestamp), SessionId)> {
    let now = Timestamp::now();
    let (token, token_hash) = token::issue(token::AGENT_PREFIX);
    let expires_at = now.plus_millis(state.config.sessions.agent_ttl_hours * 3_600_000);
    let session = Session {
        id: SessionId::new(),
        token_hash,
        principal: Principal::Agent(agent.id),
        created_at: now,
        expires_at,
        revoked_at: None,
        api_token: None,
        pending: None,
    };
    state.store.create_session(&session).await?;
    tracing::info!(agent = %agent.id, "agent logged in");
    Ok(((token, expires_at), session.id))
}

// --- enrolment ----------------------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    ticket: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// Base32 secret, for typing into an authenticator.
    secret: String,
    /// `otpauth://` URI.
    otpauth_uri: String,
    /// The URI as a QR code (SVG markup).
    qr_svg: String,
}

/// Starts (or restarts) 2FA enrolment with an enrolment ticket.
#[utoipa::path(post, path = "/v1/agent/2fa/enrol", tag = "agent", request_body = EnrolRequest,
    responses((status = 200, body = Enrolment), (status = 401, body = crate::error::ErrorBody)))]
async fn enrol(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<EnrolRequest>,
) -> ApiResult<Json<Enrolment>> {
    if !state.auth_ip_limiter.allow(client) {
        return Err(ApiError::RateLimited);
    }
    let (_, agent) = redeem(&state, &req.ticket, Pending::Enrolment).await?;
    let secret = totp::new_secret();
    state
        .store
        .begin_totp(agent.id, secret.clone(), Timestamp::now())
        .await?;
    let otpauth_uri = totp::otpauth_uri(&state.config.sessions.totp_issuer, &agent.email, &secret);
    let qr_svg = totp::qr_svg(&otpauth_uri)
        .ok_or_else(|| ApiError::Internal("QR code rendering failed".into()))?;
    Ok(Json(Enrolment {
        secret,
        otpauth_uri,
        qr_svg,
    }))
}

/// Confirms enrolment with a first code; returns a session and the
/// recovery codes (shown once).
#[utoipa::path(post, path = "/v1/agent/2fa/confirm", tag = "agent", request_body = SecondFactor,
    responses((status = 200, body = LoggedIn), (status = 401, body = crate::error::ErrorBody)))]
async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<SecondFactor>,
) -> ApiResult<Json<LoggedIn>> {
    if !state.auth_ip_limiter.allow(client) {
        return Err(ApiError::RateLimited);
    }
    let (ticket, agent) = redeem(&state, &req.ticket, Pending::Enrolment).await?;
    if !state
        .auth_account_limiter
        .allow(format!("2fa:{}", agent.id))
    {
        return Err(ApiError::RateLimited);
    }
    let record = state
        .store
        .get_totp(agent.id)
        .await?
        .filter(|t| t.confirmed_at.is_none())
        .ok_or(ApiError::Unauthorized)?;
    let step = totp::matching_step(&record.secret, &req.code, totp::now_secs())
        .ok_or(ApiError::Unauthorized)?;
    let codes = totp::new_recovery_codes();
    let hashes = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
    state
        .store
        .confirm_totp(agent.id, step, hashes, Timestamp::now())
        .await
        .map_err(|_| ApiError::Unauthorized)?;
    state
        .store
        .revoke_session(ticket.id, Timestamp::now())
        .await?;
    let (token, session) = open_session(&state, &agent).await?;
    audit::record(
        state.store.as_ref(),
        format!("agent:{}", agent.id),
        "agent.2fa.enrolled",
        agent.id.to_string(),
        serde_json::json!({ "session": session.to_string() }),
    )
    .await?;
    Ok(Json(LoggedIn {
        expires_at: token.1,
        token: token.0,
        agent,
        recovery_codes: Some(codes),
        recovery_codes_left: None,
    }))
}

// --- revocation -----------------------------------------------------------------

/// Revokes every session and API token of `agent` except `keep`, and tells
/// every node to close their WebSockets.
pub async fn revoke_all(
    state: &AppState,
    agent: AgentId,
    keep: Option<SessionId>,
) -> ApiResult<usize> {
    let revoked = state
        .store
        .revoke_agent_sessions(agent, keep, Timestamp::now())
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

// --- passwords ----------------------------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Revoked {
    /// Other sessions and API tokens revoked (their WebSockets close).
    revoked_sessions: usize,
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
    limit(&state, client, &agent.email)?;
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
        audit::actor_of(&auth.0),
        "agent.password_changed",
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
    limit(&state, client, &req.email)?;
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
        tokio::spawn(async move {
            let result = audit::record(
                store.as_ref(),
                "anonymous".into(),
                "agent.password_reset_requested",
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

// --- API tokens ------------------------------------------------------------------------

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
        if !auth::SCOPES.contains(&scope.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "unknown scope; use {}",
                auth::SCOPES.join(" or ")
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
    {
        return Err(ApiError::RateLimited);
    }
    if !totp::looks_like_totp(&req.code) {
        return Err(ApiError::Unauthorized);
    }
    check_second_factor(&state, agent.id, &req.code).await?;
    let now = Timestamp::now();
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
        audit::actor_of(&auth.0),
        "api_token.created",
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
    state.store.revoke_session(id, Timestamp::now()).await?;
    state
        .bus
        .publish(
            Topic::Control,
            BusMessage::SessionsRevoked(Arc::from(vec![id])),
        )
        .await;
    audit::record(
        state.store.as_ref(),
        audit::actor_of(&auth.0),
        "api_token.revoked",
        id.to_string(),
        serde_json::json!({ "owner": owner.to_string() }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- administration ------------------------------------------------------------------

fn admin(auth: &AgentAuth) -> ApiResult<()> {
    if auth.is_at_least(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
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
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<SetPassword>,
) -> ApiResult<Json<Revoked>> {
    admin(&auth)?;
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
        audit::actor_of(&auth.0),
        "agent.password_reset",
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
    auth: AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Revoked>> {
    admin(&auth)?;
    let agent = target(&state, &id).await?;
    state.store.reset_totp(agent.id).await?;
    let revoked_sessions = revoke_all(&state, agent.id, None).await?;
    audit::record(
        state.store.as_ref(),
        audit::actor_of(&auth.0),
        "agent.2fa.reset",
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
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<SetStatus>,
) -> ApiResult<Json<Revoked>> {
    admin(&auth)?;
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
        "agent.activated"
    } else {
        "agent.deactivated"
    };
    audit::record(
        state.store.as_ref(),
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
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<SetRole>,
) -> ApiResult<Json<Revoked>> {
    admin(&auth)?;
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
        audit::actor_of(&auth.0),
        "agent.role_changed",
        agent.id.to_string(),
        serde_json::json!({ "from": agent.role, "to": req.role, "revoked_sessions": revoked_sessions }),
    )
    .await?;
    Ok(Json(Revoked { revoked_sessions }))
}
