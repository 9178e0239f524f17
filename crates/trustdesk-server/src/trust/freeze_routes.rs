//! The customer's emergency freeze button.

use crate::auth::CustomerAuth;
use crate::error::ApiResult;
use crate::http::extract::ConversationPath;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/widget/conversations/{id}/freeze", post(freeze))
}

/// Emergency freeze: sends a signed freeze request for the customer's
/// exchange account and escalates the conversation to urgent security.
/// The outcome arrives as a notice in the conversation.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/freeze", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 202), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn freeze(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    ConversationPath(id): ConversationPath,
) -> ApiResult<StatusCode> {
    crate::trust::freeze::request(&state, &auth, id).await?;
    Ok(StatusCode::ACCEPTED)
}
