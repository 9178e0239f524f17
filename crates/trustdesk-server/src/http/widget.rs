//! The widget (customer) API: sessions, conversations, messages.

use crate::auth::{CustomerAuth, identity, token};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query, conversation_id};
use crate::http::ratelimit::ClientIp;
use crate::services::conversations::{Opening, Post};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use trustdesk_core::{Customer, CustomerId, Language, SessionId, Timestamp, validate};
use trustdesk_store::{ConversationFilter, Principal, Session, VerifiedProfile};

use super::views::{ConversationPage, Created, History, HistoryQuery, Posted};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/widget/sessions", post(start_session))
        .route("/v1/widget/conversations", get(list).post(open))
        .route("/v1/widget/conversations/{id}", get(show))
        .route("/v1/widget/conversations/{id}/messages", post(send))
        .route("/v1/widget/conversations/{id}/freeze", post(freeze))
        .route("/v1/widget/conversations/{id}/rating", post(rate))
        .route(
            "/v1/widget/anti-phishing-code",
            get(get_anti_phishing_code).put(set_anti_phishing_code),
        )
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
    if !state.widget_session_limiter.allow(client) {
        return Err(ApiError::RateLimited);
    }
    let now = Timestamp::now();
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
            let name = claim.name.as_deref().map(validate::name).transpose()?;
            let email = claim.email.as_deref().map(validate::name).transpose()?;
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

/// The caller's conversations, newest first.
#[utoipa::path(get, path = "/v1/widget/conversations", tag = "widget", security(("bearer" = [])),
    responses((status = 200, body = ConversationPage), (status = 401, body = crate::error::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
) -> ApiResult<Json<ConversationPage>> {
    let filter = ConversationFilter {
        customer_id: auth.customer_id(),
        limit: 50,
        ..Default::default()
    };
    let conversations = state.store.list_conversations(&filter).await?;
    Ok(Json(ConversationPage {
        conversations,
        next_before: None,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenConversation {
    subject: Option<String>,
    /// The first message.
    body: Option<String>,
    /// Idempotency key: the same key again returns the same conversation.
    client_msg_id: Option<String>,
    #[schema(value_type = Option<String>, example = "en")]
    language: Option<Language>,
}

/// Opens a conversation, with its first message if given.
#[utoipa::path(post, path = "/v1/widget/conversations", tag = "widget", security(("bearer" = [])), request_body = OpenConversation,
    responses((status = 201, body = Created), (status = 200, description = "the same client_msg_id again", body = Created), (status = 400, body = crate::error::ErrorBody)))]
async fn open(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Json(req): Json<OpenConversation>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let customer = auth.customer_id().ok_or(ApiError::Unauthorized)?;
    let opening = Opening {
        subject: req.subject,
        body: req.body,
        client_msg_id: req.client_msg_id,
        language: req.language,
        channel: None,
    };
    let created = state.conversations.open(customer, opening).await?;
    let status = if created.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(created.into())))
}

/// A conversation with its public events.
#[utoipa::path(get, path = "/v1/widget/conversations/{id}", tag = "widget", security(("bearer" = [])), params(("id" = String, Path), HistoryQuery),
    responses((status = 200, body = History), (status = 404, body = crate::error::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<History>> {
    let conversation = state
        .conversations
        .visible(&auth, conversation_id(&id)?)
        .await?;
    let events = state
        .conversations
        .history(
            &auth,
            &conversation,
            q.since.unwrap_or(0),
            q.limit.unwrap_or(500),
        )
        .await?;
    Ok(Json(History {
        conversation,
        customer: None,
        events,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// Idempotency key: a resend returns the stored message.
    pub client_msg_id: Option<String>,
    pub body: String,
}

/// Sends a message (REST fallback; the WebSocket `send` frame is the same).
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/messages", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)), request_body = PostMessage,
    responses((status = 201, body = Posted), (status = 200, description = "duplicate client_msg_id", body = Posted), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Path(id): Path<String>,
    Json(req): Json<PostMessage>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let post = Post {
        client_msg_id: req.client_msg_id,
        body: req.body,
        internal: false,
        guard_override: None,
    };
    let appended = state
        .conversations
        .post(&auth, conversation_id(&id)?, post)
        .await?;
    Ok(Posted::response(appended))
}

/// Emergency freeze: sends a signed freeze request for the customer's
/// exchange account and escalates the conversation to urgent security.
/// The outcome arrives as a notice in the conversation.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/freeze", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 202), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn freeze(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    crate::services::freeze::request(&state, &auth, conversation_id(&id)?).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAntiPhishingCode {
    /// 4–20 letters, digits or CJK characters, chosen by the customer.
    code: String,
    /// Re-authentication: the exchange's user hash for this customer,
    /// fresh from the exchange's logged-in page.
    user_hash: String,
}

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
/// only with a fresh user hash (re-authentication through the exchange).
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
    if !identity::verify(secret, &user_id, &req.user_hash) {
        return Err(ApiError::Unauthorized);
    }
    let code = valid_anti_phishing_code(&req.code)?;
    state
        .store
        .set_anti_phishing_code(customer_id, &code, Timestamp::now())
        .await?;
    // The code itself is never written to the log.
    crate::services::audit::record(
        state.store.as_ref(),
        crate::services::audit::actor_of(&auth),
        "customer.anti_phishing_code.set",
        customer_id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(AntiPhishingCode { code: Some(code) }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// 1 (very unhappy) to 5 (very happy).
    score: u8,
    comment: Option<String>,
}

/// Rates a resolved conversation (CSAT), once per resolution.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/rating", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)), request_body = Rating,
    responses((status = 201, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, description = "not resolved, or already rated", body = crate::error::ErrorBody)))]
pub(crate) async fn rate(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Path(id): Path<String>,
    Json(req): Json<Rating>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let appended = crate::services::feedback::rate(
        &state,
        &auth,
        conversation_id(&id)?,
        req.score,
        req.comment.as_deref(),
    )
    .await?;
    Ok(Posted::response(appended))
}
