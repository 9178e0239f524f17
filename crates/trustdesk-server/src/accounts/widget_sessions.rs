//! Customer sessions for the widget: anonymous, or verified by the
//! exchange's HMAC over the user id.

use crate::auth::{identity, token};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::http::ratelimit::ClientIp;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use trustdesk_core::guard::GuardedText;
use trustdesk_core::{Customer, CustomerId, Language, SessionId, Timestamp, validate};
use trustdesk_store::{Principal, Session, VerifiedProfile};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/widget/sessions", post(start_session))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSession {
    /// The exchange's signed user identity; omit for an anonymous visitor.
    identity: Option<IdentityClaim>,
    #[schema(value_type = Option<String>, example = "zh")]
    locale: Option<Language>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityClaim {
    /// The exchange's user id.
    user_id: String,
    /// hex(HMAC-SHA256(identity_secret, user_id)), computed by the
    /// exchange's backend.
    user_hash: String,
    name: Option<String>,
    email: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionStarted {
    /// Bearer token for the API and the WebSocket `hello`. Shown once.
    token: String,
    /// Whether the emergency freeze is available to this customer (a
    /// verified exchange user on a server with the freeze lane set up).
    freeze_available: bool,
    #[schema(value_type = Object)]
    customer: Customer,
    #[schema(value_type = i64)]
    expires_at: Timestamp,
}

/// Starts a customer session, anonymous or with a verified identity.
#[utoipa::path(post, path = "/v1/widget/sessions", tag = "widget", request_body = StartSession,
    responses((status = 201, body = SessionStarted), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn start_session(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<StartSession>,
) -> ApiResult<(StatusCode, Json<SessionStarted>)> {
    if !state.widget_session_limiter.allow(client).await {
        return Err(ApiError::RateLimited);
    }
    let now = state.clock.now();
    let customer = match req.identity {
        None => {
            let customer = Customer {
                id: CustomerId::new(),
                external_id: None,
                name: None,
                email: None,
                locale: req.locale,
                created_at: now,
            };
            state.store.create_customer(&customer).await?;
            customer
        }
        Some(claim) => {
            let secret = state
                .config
                .widget
                .identity_secret
                .as_ref()
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "identity verification is not enabled on this server".into(),
                    )
                })?;
            if claim.user_id.is_empty() || claim.user_id.len() > 128 {
                return Err(ApiError::BadRequest(
                    "user_id must have 1 to 128 characters".into(),
                ));
            }
            if !identity::verify(secret, &claim.user_id, &claim.user_hash) {
                return Err(ApiError::Unauthorized);
            }
            // Names and emails are customer text: screened before storage,
            // like every message (a seed phrase typed as a name stays out).
            let screen = |field: Option<&str>, check: fn(&str) -> _| {
                field
                    .map(check)
                    .transpose()
                    .map(|v| v.map(|v: String| GuardedText::screen(&v).text))
            };
            let name = screen(claim.name.as_deref(), validate::name)?;
            let email = screen(claim.email.as_deref(), validate::email)?;
            let profile = VerifiedProfile {
                external_id: claim.user_id,
                name,
                email,
                locale: req.locale,
                at: now,
            };
            state.store.upsert_verified_customer(&profile).await?
        }
    };
    let (token, token_hash) = token::issue(token::CUSTOMER_PREFIX);
    let expires_at = now.plus_millis(state.config.sessions.customer_ttl_hours * 3_600_000);
    let session = Session {
        id: SessionId::new(),
        token_hash,
        principal: Principal::Customer(customer.id),
        created_at: now,
        expires_at,
        revoked_at: None,
        api_token: None,
        pending: None,
    };
    state.store.create_session(&session).await?;
    let freeze_available = customer.is_verified() && state.config.freeze.webhook_url.is_some();
    Ok((
        StatusCode::CREATED,
        Json(SessionStarted {
            token,
            freeze_available,
            customer,
            expires_at,
        }),
    ))
}
