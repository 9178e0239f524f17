//! What the console shows about a conversation's channels: where it lives
//! and where replies go, every address its customer has used on any
//! channel, and the conversations it continues or is continued by.
//!
//! Reached through a conversation the agent may see, like `related`, so
//! the route cannot enumerate customers.

use crate::auth::ConversationReader;
use crate::error::ApiResult;
use crate::http::extract::{ConversationPath, Json};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use trustdesk_core::{Channel, ConversationId, Timestamp};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/agent/conversations/{id}/channels", get(channels))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    /// The conversation's channel.
    #[schema(value_type = String)]
    pub channel: Channel,
    /// Where replies go on that channel (none for the widget).
    pub reply_to: Option<String>,
    /// Every address of the customer, oldest first.
    pub identities: Vec<IdentityView>,
    pub links: Vec<LinkView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentityView {
    #[schema(value_type = String)]
    pub channel: Channel,
    pub address: String,
    pub display_name: Option<String>,
    #[schema(value_type = i64)]
    pub since: Timestamp,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// The newer conversation.
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// The older one it continues.
    #[schema(value_type = String)]
    pub linked_id: ConversationId,
    /// `continues_closed` or `other_sender`.
    pub reason: String,
    #[schema(value_type = i64)]
    pub at: Timestamp,
}

/// The conversation's channel, its customer's addresses on every channel
/// and the conversations it is linked with.
#[utoipa::path(get, path = "/v1/agent/conversations/{id}/channels", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ChannelView), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn channels(
    State(state): State<AppState>,
    auth: ConversationReader,
    ConversationPath(id): ConversationPath,
) -> ApiResult<Json<ChannelView>> {
    let conversation = state.conversations.visible(&auth.0, id).await?;
    let thread = state.store.channel_thread(id).await?;
    let identities = state
        .store
        .channel_identities(conversation.customer_id)
        .await?
        .into_iter()
        .map(|i| IdentityView {
            channel: i.channel,
            address: i.address,
            display_name: i.display_name.map(|n| n.as_str().to_owned()),
            since: i.created_at,
        })
        .collect();
    let links = state
        .store
        .conversation_links(id)
        .await?
        .into_iter()
        .map(|l| LinkView {
            conversation_id: l.conversation_id,
            linked_id: l.linked_id,
            reason: l.reason,
            at: l.at,
        })
        .collect();
    Ok(Json(ChannelView {
        channel: conversation.channel,
        reply_to: thread.map(|t| t.address),
        identities,
        links,
    }))
}
