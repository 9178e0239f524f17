//! Response bodies shared by the widget and agent APIs.

use crate::http::extract::Json;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use trustdesk_core::{Conversation, Customer, Event};
use trustdesk_store::Appended;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationPage {
    #[schema(value_type = Vec<Object>)]
    pub conversations: Vec<Conversation>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct History {
    #[schema(value_type = Object)]
    pub conversation: Conversation,
    /// The customer (agent API only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub customer: Option<Customer>,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    #[schema(value_type = Object)]
    pub conversation: Conversation,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
    pub duplicate: bool,
}

impl From<trustdesk_store::Created> for Created {
    fn from(c: trustdesk_store::Created) -> Self {
        Self {
            conversation: c.conversation,
            events: c.events,
            duplicate: c.duplicate,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Posted {
    #[schema(value_type = Object)]
    pub event: Event,
    /// True when the client_msg_id was stored before; nothing new written.
    pub duplicate: bool,
}

impl Posted {
    /// 201 for a new event, 200 for a resend.
    pub fn response(appended: Appended) -> (StatusCode, Json<Posted>) {
        let status = if appended.duplicate {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        (
            status,
            Json(Posted {
                event: appended.event,
                duplicate: appended.duplicate,
            }),
        )
    }
}

/// `?since=&limit=` of the conversation views.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only events after this seq (default 0: from the start).
    pub since: Option<i64>,
    /// At most this many events (default and maximum 500).
    pub limit: Option<u32>,
}
