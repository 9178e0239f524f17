//! Enrolling the mandatory second factor: a TOTP secret (otpauth URI and
//! QR), confirmed by its first code, and the recovery codes.

use super::login::{LoggedIn, SecondFactor, open_session, redeem};
use crate::accounts::audit;
use crate::accounts::totp;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::http::ratelimit::ClientIp;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;
use trustdesk_store::Pending;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/2fa/enrol", post(enrol))
        .route("/v1/agent/2fa/confirm", post(confirm))
}

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
    if !state.auth_ip_limiter.allow(client).await {
        return Err(ApiError::RateLimited);
    }
    let (_, agent) = redeem(&state, &req.ticket, Pending::Enrolment).await?;
    let secret = totp::new_secret();
    state
        .store
        .begin_totp(agent.id, secret.clone(), state.clock.now())
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
    if !state.auth_ip_limiter.allow(client).await {
        return Err(ApiError::RateLimited);
    }
    let (ticket, agent) = redeem(&state, &req.ticket, Pending::Enrolment).await?;
    if !state
        .auth_account_limiter
        .allow(format!("2fa:{}", agent.id))
        .await
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
        .confirm_totp(agent.id, step, hashes, state.clock.now())
        .await
        .map_err(|_| ApiError::Unauthorized)?;
    state
        .store
        .revoke_session(ticket.id, state.clock.now())
        .await?;
    let (token, session) = open_session(&state, &agent).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        format!("agent:{}", agent.id),
        AuditAction::TwoFactorEnrolled,
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
