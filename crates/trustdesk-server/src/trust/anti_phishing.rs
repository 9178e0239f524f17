//! The customer's anti-phishing code: set by the customer, shown in the
//! widget header and official emails, never to agents.

use crate::auth::CustomerAuth;
use crate::auth::identity::{self, FreshProof};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/widget/anti-phishing-code",
        get(get_anti_phishing_code).put(set_anti_phishing_code),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAntiPhishingCode {
    /// 4–20 letters, digits or CJK characters, chosen by the customer.
    code: String,
    /// Re-authentication: a proof the exchange's backend signed for this
    /// user just now (purpose `anti_phishing_code`), good for five minutes
    /// and once. The static `user_hash` is not accepted.
    proof: FreshProof,
}

/// The purpose the exchange names in the proof for this change.
pub const PROOF_PURPOSE: &str = "anti_phishing_code";

#[derive(Serialize, utoipa::ToSchema)]
pub struct AntiPhishingCode {
    /// The customer's code, or null when none is set.
    code: Option<String>,
}

fn valid_anti_phishing_code(code: &str) -> ApiResult<String> {
    let code = code.trim();
    let len = code.chars().count();
    if !(4..=20).contains(&len) || !code.chars().all(char::is_alphanumeric) {
        return Err(ApiError::BadRequest(
            "the code must be 4 to 20 letters, digits or characters".into(),
        ));
    }
    // It is stored and shown: a card number (16 digits fit) must not be.
    if !trustdesk_core::guard::scan(code).is_empty() {
        return Err(ApiError::BadRequest(
            "the code looks like a card number or another secret; choose a word you will recognise"
                .into(),
        ));
    }
    Ok(code.to_owned())
}

/// The customer's anti-phishing code, shown in the widget header. Agents
/// never see it.
#[utoipa::path(get, path = "/v1/widget/anti-phishing-code", tag = "widget", security(("bearer" = [])), responses((status = 200, body = AntiPhishingCode)))]
async fn get_anti_phishing_code(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
) -> ApiResult<Json<AntiPhishingCode>> {
    let customer = auth.customer_id().ok_or(ApiError::Unauthorized)?;
    Ok(Json(AntiPhishingCode {
        code: state.store.anti_phishing_code(customer).await?,
    }))
}

/// Sets the anti-phishing code. Only an exchange-verified customer can, and
/// only with a fresh, single-use proof from the exchange (re-authentication
/// through the exchange, see `auth::identity::FreshProof`).
#[utoipa::path(put, path = "/v1/widget/anti-phishing-code", tag = "widget", security(("bearer" = [])), request_body = SetAntiPhishingCode,
    responses((status = 200, body = AntiPhishingCode), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
async fn set_anti_phishing_code(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Json(req): Json<SetAntiPhishingCode>,
) -> ApiResult<Json<AntiPhishingCode>> {
    let customer_id = auth.customer_id().ok_or(ApiError::Unauthorized)?;
    let customer = state.store.get_customer(customer_id).await?;
    let (Some(user_id), Some(secret)) = (
        customer.external_id,
        state.config.widget.identity_secret.as_ref(),
    ) else {
        return Err(ApiError::BadRequest(
            "only customers signed in on the exchange can set an anti-phishing code".into(),
        ));
    };
    let now = state.clock.now();
    if let Err(why) =
        identity::verify_proof(secret, PROOF_PURPOSE, &user_id, &req.proof, now.0 / 1000)
    {
        tracing::info!(customer = %customer_id, reason = ?why, "anti-phishing code change refused");
        return Err(ApiError::Unauthorized);
    }
    let code = valid_anti_phishing_code(&req.code)?;
    let fresh = state
        .store
        .set_anti_phishing_code(customer_id, &code, now, req.proof.issued_at)
        .await?;
    if !fresh {
        // This proof (or a newer one) was used already: a replay.
        tracing::info!(customer = %customer_id, "anti-phishing proof replayed");
        return Err(ApiError::Unauthorized);
    }
    // The code itself is never written to the log.
    crate::accounts::audit::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::accounts::audit::actor_of(&auth),
        AuditAction::AntiPhishingCodeSet,
        customer_id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(AntiPhishingCode { code: Some(code) }))
}
