//! Conversations over HTTP for customers (the widget): list, open, show,
//! send, rate.

use crate::auth::CustomerAuth;
use crate::conversations::views::{ConversationPage, Created, History, HistoryQuery, Posted};
use crate::conversations::{Opening, Post};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ConversationPath, Json, Query};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use trustdesk_core::Language;
use trustdesk_store::ConversationFilter;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/widget/conversations", get(list).post(open))
        .route("/v1/widget/conversations/{id}", get(show))
        .route("/v1/widget/conversations/{id}/messages", post(send))
        .route("/v1/widget/conversations/{id}/rating", post(rate))
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
    responses((status = 201, body = Created), (status = 200, description = "the same client_msg_id again", body = Created), (status = 400, body = crate::error::ErrorBody), (status = 429, description = "overloaded: nothing stored, retry after Retry-After", body = crate::error::ErrorBody)))]
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
    ConversationPath(id): ConversationPath,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<History>> {
    let conversation = state.conversations.visible(&auth, id).await?;
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
    responses((status = 201, body = Posted), (status = 200, description = "duplicate client_msg_id", body = Posted), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 429, description = "overloaded: nothing stored, retry after Retry-After", body = crate::error::ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    ConversationPath(id): ConversationPath,
    Json(req): Json<PostMessage>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let post = Post {
        client_msg_id: req.client_msg_id,
        body: req.body,
        internal: false,
        guard_override: None,
    };
    let appended = state.conversations.post(&auth, id, post).await?;
    Ok(Posted::response(appended))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// 1 (very unhappy) to 5 (very happy).
    score: u8,
    comment: Option<String>,
    /// Also send the comment to the product team as a `suggestion` or a
    /// `complaint` (the feedback channel).
    #[schema(value_type = Option<String>)]
    feedback: Option<trustdesk_store::FeedbackKind>,
}

/// Rates a resolved conversation (CSAT), once per resolution.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/rating", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)), request_body = Rating,
    responses((status = 201, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, description = "not resolved, or already rated", body = crate::error::ErrorBody)))]
pub(crate) async fn rate(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    ConversationPath(id): ConversationPath,
    Json(req): Json<Rating>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let appended =
        crate::conversations::feedback::rate(&state, &auth, id, req.score, req.comment.as_deref())
            .await?;
    if let (Some(kind), Some(comment), Some(customer)) =
        (req.feedback, req.comment.as_deref(), auth.customer_id())
        && !comment.trim().is_empty()
        && !appended.duplicate
    {
        crate::feedback::record(
            &state,
            customer,
            kind,
            trustdesk_store::FeedbackSource::Rating,
            comment,
            Some(id),
            appended.conversation.language,
        )
        .await?;
    }
    Ok(Posted::response(appended))
}
