//! `POST /v1/agent/conversations/{id}/labels`: an agent adds or removes
//! labels by hand (macros and rules use the same service method).

use crate::auth::ConversationWriter;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ConversationPath, Json};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use trustdesk_core::automation::Label;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/agent/conversations/{id}/labels", post(change))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelChange {
    /// Labels to add (lowercase slugs, e.g. `vip`, `security-night`).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    add: Vec<Label>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    remove: Vec<Label>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Labels {
    /// The conversation's labels after the change, sorted.
    #[schema(value_type = Vec<String>)]
    labels: Vec<Label>,
    /// Whether anything changed.
    changed: bool,
}

/// Adds and removes labels; only the net change is recorded.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/labels", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = LabelChange,
    responses((status = 200, body = Labels), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    auth: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Json(req): Json<LabelChange>,
) -> ApiResult<Json<Labels>> {
    if req.add.is_empty() && req.remove.is_empty() {
        return Err(ApiError::BadRequest("nothing to add or remove".into()));
    }
    let conversation = state.conversations.visible(&auth.0, id).await?;
    let changed = state
        .conversations
        .change_labels(&conversation, auth.0.actor(), &req.add, &req.remove)
        .await?;
    let labels = match &changed {
        Some(appended) => appended.conversation.labels.clone(),
        None => conversation.labels,
    };
    Ok(Json(Labels {
        labels,
        changed: changed.is_some(),
    }))
}
