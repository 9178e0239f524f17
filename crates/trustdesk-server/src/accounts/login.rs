//! The two-step agent login: password → ticket → TOTP or recovery code →
//! session. Both steps are rate-limited per address and per account and
//! answer alike for unknown accounts.

use crate::accounts::audit;
use crate::accounts::{password, totp};
use crate::auth::token;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::http::ratelimit::ClientIp;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;
use trustdesk_core::{Agent, AgentId, AgentStatus, SessionId, Timestamp};
use trustdesk_store::{Pending, Principal, Session};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/login", post(login))
        .route("/v1/agent/login/2fa", post(second_factor))
}

/// Prefix of login tickets (not sessions: they open only the next step).
pub const TICKET_PREFIX: &str = "tdt_";

/// Counts one attempt for the client address and for the account; the same
/// `429` whether the account exists or not.
pub(crate) async fn limit(
    state: &AppState,
    client: std::net::IpAddr,
    account: &str,
) -> ApiResult<()> {
    // No email is longer than 254 characters: longer input shares one
    // bucket, so the limiter's memory stays bounded.
    let key = if account.len() > 254 {
        "<overlong>".to_owned()
    } else {
        account.trim().to_lowercase()
    };
    // Both are counted, whatever either says: one round trip for two.
    let (ip_ok, account_ok) = tokio::join!(
        state.auth_ip_limiter.allow(client),
        state.auth_account_limiter.allow(key)
    );
    if ip_ok && account_ok {
        Ok(())
    } else {
        Err(ApiError::RateLimited)
    }
}

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
    limit(&state, client, &req.email).await?;
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
    let now = state.clock.now();
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
pub(crate) async fn redeem(
    state: &AppState,
    ticket: &str,
    kind: Pending,
) -> ApiResult<(Session, Agent)> {
    if !ticket.starts_with(TICKET_PREFIX) || ticket.len() > 128 {
        return Err(ApiError::Unauthorized);
    }
    let session = state
        .store
        .session_by_token_hash(&token::hash(ticket))
        .await?
        .filter(|s| s.pending == Some(kind) && s.is_live(state.clock.now()))
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
    pub(super) ticket: String,
    /// A 6-digit TOTP code, or a recovery code (`XXXXX-XXXXX`).
    pub(super) code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoggedIn {
    /// Bearer token for the API and the WebSocket. Shown once.
    pub(super) token: String,
    #[schema(value_type = Object)]
    pub(super) agent: Agent,
    #[schema(value_type = i64)]
    pub(super) expires_at: Timestamp,
    /// Only after enrolment: one-time recovery codes, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) recovery_codes: Option<Vec<String>>,
    /// After a recovery code was used: how many are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) recovery_codes_left: Option<i64>,
}

/// Checks a TOTP code (±1 step, each step once) or a recovery code (once).
/// Returns whether a recovery code was used.
pub(crate) async fn check_second_factor(
    state: &AppState,
    agent: AgentId,
    code: &str,
) -> ApiResult<bool> {
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
            .consume_recovery_code(agent, totp::hash_recovery_code(code), state.clock.now())
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
    if !state.auth_ip_limiter.allow(client).await {
        return Err(ApiError::RateLimited);
    }
    let (ticket, agent) = redeem(&state, &req.ticket, Pending::SecondFactor).await?;
    if !state
        .auth_account_limiter
        .allow(format!("2fa:{}", agent.id))
        .await
    {
        return Err(ApiError::RateLimited);
    }
    let used_recovery = match check_second_factor(&state, agent.id, &req.code).await {
        Ok(used) => used,
        Err(err) => {
            audit::record(
                state.store.as_ref(),
                state.clock.now(),
                format!("agent:{}", agent.id),
                AuditAction::TwoFactorFailed,
                agent.id.to_string(),
                serde_json::json!({}),
            )
            .await?;
            return Err(err);
        }
    };
    state
        .store
        .revoke_session(ticket.id, state.clock.now())
        .await?;
    let (token, session) = open_session(&state, &agent).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        format!("agent:{}", agent.id),
        AuditAction::Login,
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

pub(crate) async fn open_session(
    state: &AppState,
    agent: &Agent,
) -> ApiResult<((String, Timestamp), SessionId)> {
    let now = state.clock.now();
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
