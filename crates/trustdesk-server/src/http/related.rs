//! A customer's other conversations, for the agent looking at one of them.
//!
//! Reached through a conversation the agent may see, never through a
//! customer id, so the route cannot be used to enumerate customers; each
//! listed conversation passes the same visibility rule as opening it.

use crate::auth::AgentAuth;
use crate::error::ApiResult;
use crate::http::extract::{Json, conversation_id};
use crate::http::views::ConversationPage;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use trustdesk_store::ConversationFilter;

/// Most conversations listed.
const LIMIT: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/agent/conversations/{id}/related", get(related))
}

/// The same customer's other conversations, newest first.
#[utoipa::path(get, path = "/v1/agent/conversations/{id}/related", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ConversationPage), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn related(
    State(state): State<AppState>,
    auth: AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationPage>> {
    let conversation = state
        .conversations
        .visible(&auth.0, conversation_id(&id)?)
        .await?;
    let filter = ConversationFilter {
        customer_id: Some(conversation.customer_id),
        limit: LIMIT + 1,
        ..Default::default()
    };
    let mut conversations = Vec::new();
    for other in state.store.list_conversations(&filter).await? {
        if other.id == conversation.id {
            continue;
        }
        if state.conversations.visible(&auth.0, other.id).await.is_ok() {
            conversations.push(other);
        }
    }
    conversations.truncate(LIMIT as usize);
    Ok(Json(ConversationPage {
        conversations,
        next_before: None,
    }))
}
