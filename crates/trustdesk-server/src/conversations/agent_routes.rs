//! Conversations over HTTP for agents: the inbox, the conversation view,
//! replies, notes, status, assignment, transfers and reminders. Every
//! route under `/v1/agent/conversations/{id}/` that writes lives here or
//! in `attachments/`.

use crate::auth::{ConversationReader, ConversationWriter};
use crate::conversations::Post;
use crate::conversations::Transfer;
use crate::conversations::views::{ConversationPage, History, HistoryQuery, Posted};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ConversationPath, Json, Query};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use trustdesk_core::{
    AgentId, Category, ConversationId, ConversationStatus, CustomerId, Language, Priority, TeamId,
    Timestamp,
};
use trustdesk_store::{AssigneeFilter, ConversationFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/conversations", get(list))
        .route("/v1/agent/conversations/{id}", get(show))
        .route("/v1/agent/conversations/{id}/messages", post(reply))
        .route("/v1/agent/conversations/{id}/notes", post(note))
        .route("/v1/agent/conversations/{id}/status", post(set_status))
        .route("/v1/agent/conversations/{id}/assign", post(assign))
        .route("/v1/agent/conversations/{id}/transfer", post(transfer))
        .route("/v1/agent/conversations/{id}/reminders", post(remind))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Comma-separated statuses, e.g. `open,pending`.
    status: Option<String>,
    /// `me`, `unassigned` or an agent id.
    assignee: Option<String>,
    team: Option<String>,
    category: Option<String>,
    language: Option<String>,
    priority: Option<String>,
    urgent: Option<bool>,
    /// Only conversations with this label.
    label: Option<String>,
    /// Only this customer's conversations (a customer id).
    customer: Option<String>,
    /// Text in the subject, a message or a note (at most 200 characters).
    q: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
    /// `next_before` of the previous page.
    before: Option<String>,
}

/// Longest search text in the inbox.
const MAX_SEARCH_CHARS: usize = 200;

fn parse_field<T: std::str::FromStr>(name: &str, value: Option<&str>) -> ApiResult<Option<T>> {
    value
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| ApiError::BadRequest(format!("invalid {name}: {v:?}")))
        })
        .transpose()
}

impl InboxQuery {
    fn filter(&self, me: AgentId) -> ApiResult<ConversationFilter> {
        let statuses = match &self.status {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    parse_field::<ConversationStatus>("status", Some(s)).map(|o| o.expect("some"))
                })
                .collect::<ApiResult<_>>()?,
        };
        let assignee = match self.assignee.as_deref() {
            None => None,
            Some("me") => Some(AssigneeFilter::Agent(me)),
            Some("unassigned") => Some(AssigneeFilter::Unassigned),
            Some(other) => Some(AssigneeFilter::Agent(
                parse_field::<AgentId>("assignee", Some(other))?.expect("some"),
            )),
        };
        let before = match self.before.as_deref() {
            None => None,
            Some(cursor) => {
                let bad = || ApiError::BadRequest("invalid before cursor".into());
                let (at, id) = cursor.split_once('_').ok_or_else(bad)?;
                let at = at.parse::<i64>().map_err(|_| bad())?;
                let id = id.parse::<ConversationId>().map_err(|_| bad())?;
                Some((Timestamp(at), id))
            }
        };
        let text = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        if text.is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
            return Err(ApiError::BadRequest(format!(
                "q is longer than {MAX_SEARCH_CHARS} characters"
            )));
        }
        let label = match self.label.as_deref().filter(|l| !l.is_empty()) {
            None => None,
            Some(l) => Some(
                trustdesk_core::automation::Label::parse(l)
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?,
            ),
        };
        Ok(ConversationFilter {
            statuses,
            assignee,
            team_id: parse_field::<TeamId>("team", self.team.as_deref())?,
            customer_id: parse_field::<CustomerId>("customer", self.customer.as_deref())?,
            label,
            text: text.map(str::to_owned),
            category: parse_field::<Category>("category", self.category.as_deref())?,
            language: parse_field::<Language>("language", self.language.as_deref())?,
            priority: parse_field::<Priority>("priority", self.priority.as_deref())?,
            urgent: self.urgent,
            before,
            limit: self.limit.unwrap_or(50),
            visible_to: None,
        })
    }
}

/// The inbox: conversations matching the filters, most recently active first.
#[utoipa::path(get, path = "/v1/agent/conversations", tag = "agent", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = ConversationPage), (status = 400, body = crate::error::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    auth: ConversationReader,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Json<ConversationPage>> {
    let mut filter = q.filter(auth.agent().id)?;
    filter.visible_to = Some(trustdesk_core::access::AgentScope::of(auth.agent()));
    let conversations = state.store.list_conversations(&filter).await?;
    let full_page = conversations.len() as i64 == filter.effective_limit();
    let next_before = full_page
        .then(|| {
            conversations
                .last()
                .map(|c| format!("{}_{}", c.updated_at.0, c.id))
        })
        .flatten();
    Ok(Json(ConversationPage {
        conversations,
        next_before,
    }))
}

/// A conversation with its customer and every event, internal notes included.
#[utoipa::path(get, path = "/v1/agent/conversations/{id}", tag = "agent", security(("bearer" = [])), params(("id" = String, Path), HistoryQuery),
    responses((status = 200, body = History), (status = 404, body = crate::error::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    auth: ConversationReader,
    ConversationPath(id): ConversationPath,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<History>> {
    let conversation = state.conversations.visible(&auth.0, id).await?;
    let customer = state.store.get_customer(conversation.customer_id).await?;
    let events = state
        .conversations
        .history(
            &auth.0,
            &conversation,
            q.since.unwrap_or(0),
            q.limit.unwrap_or(500),
        )
        .await?;
    Ok(Json(History {
        conversation,
        customer: Some(customer),
        events,
    }))
}

/// Replies to the customer. Replying to an unassigned conversation takes it.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/messages", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = AgentPostMessage,
    responses((status = 201, body = Posted), (status = 200, body = Posted), (status = 404, body = crate::error::ErrorBody)))]
async fn reply(
    State(state): State<AppState>,
    auth: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Json(req): Json<AgentPostMessage>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    post_as_agent(&state, &auth, id, req, false).await
}

/// Adds an internal note: visible to the team, never to the customer.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/notes", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = AgentPostMessage,
    responses((status = 201, body = Posted), (status = 200, body = Posted), (status = 404, body = crate::error::ErrorBody)))]
async fn note(
    State(state): State<AppState>,
    auth: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Json(req): Json<AgentPostMessage>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    post_as_agent(&state, &auth, id, req, true).await
}

async fn post_as_agent(
    state: &AppState,
    auth: &ConversationWriter,
    id: ConversationId,
    req: AgentPostMessage,
    internal: bool,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let post = Post {
        client_msg_id: req.client_msg_id,
        body: req.body,
        internal,
        guard_override: if internal { None } else { req.override_reason },
    };
    Ok(Posted::response(
        state.conversations.post(&auth.0, id, post).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPostMessage {
    /// Idempotency key: a resend returns the stored message.
    client_msg_id: Option<String>,
    body: String,
    /// Supervisors and admins: send a message the outbound guard refuses,
    /// giving the reason. The override is written to the audit log.
    override_reason: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    #[schema(value_type = String, example = "resolved")]
    status: ConversationStatus,
    /// Required for `snoozed`: when the conversation comes back (ms).
    #[schema(value_type = Option<i64>)]
    snoozed_until: Option<Timestamp>,
}

/// Changes the status: open, pending, snoozed (until a time), resolved, closed.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/status", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = SetStatus,
    responses((status = 200, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn set_status(
    State(state): State<AppState>,
    auth: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Json(req): Json<SetStatus>,
) -> ApiResult<Json<Posted>> {
    let appended = state
        .conversations
        .set_status(&auth.0, id, req.status, req.snoozed_until)
        .await?;
    Ok(Json(Posted {
        event: appended.event,
        duplicate: false,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// The agent to assign; `null` unassigns.
    #[schema(value_type = Option<String>)]
    agent_id: Option<AgentId>,
}

/// Assigns the conversation (to yourself, or transfers it), or unassigns it.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/assign", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = Assign,
    responses((status = 200, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn assign(
    State(state): State<AppState>,
    auth: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Json(req): Json<Assign>,
) -> ApiResult<Json<Posted>> {
    let appended = state
        .conversations
        .assign(&auth.0, id, req.agent_id)
        .await?;
    Ok(Json(Posted {
        event: appended.event,
        duplicate: false,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The agent who takes over.
    #[schema(value_type = Option<String>)]
    agent_id: Option<AgentId>,
    /// The team whose queue takes over (with `agent_id`: that agent, in
    /// that team).
    #[schema(value_type = Option<String>)]
    team_id: Option<TeamId>,
    /// Why (required; shown to the team, never to the customer).
    reason: String,
}

/// Transfers the conversation to an agent or a team, with a reason. Taking
/// a conversation from another agent needs a supervisor.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/transfer", tag = "routing", security(("bearer" = [])), params(("id" = String, Path)), request_body = TransferRequest,
    responses((status = 200, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn transfer(
    State(state): State<AppState>,
    auth: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Json(req): Json<TransferRequest>,
) -> ApiResult<Json<Posted>> {
    let appended = state
        .conversations
        .transfer(
            &auth.0,
            id,
            Transfer {
                to_agent: req.agent_id,
                to_team: req.team_id,
                reason: req.reason,
            },
        )
        .await?;
    Ok(Json(Posted {
        event: appended.event,
        duplicate: false,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderRequest {
    /// When (ms since the epoch); or give `in_ms`.
    #[schema(value_type = Option<i64>)]
    at: Option<Timestamp>,
    /// In how long, e.g. 86400000 for "check back in 24 h".
    in_ms: Option<i64>,
    note: String,
}

/// Sets a follow-up reminder: at that time a `reminder_due` event is
/// written and the agent gets a `notice` frame.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/reminders", tag = "routing", security(("bearer" = [])), params(("id" = String, Path)), request_body = ReminderRequest,
    responses((status = 201, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn remind(
    State(state): State<AppState>,
    auth: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Json(req): Json<ReminderRequest>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let now = state.clock.now();
    let at = match (req.at, req.in_ms) {
        (Some(at), None) => at,
        (None, Some(ms)) if ms > 0 && ms <= 366 * 24 * 3_600_000 => now.plus_millis(ms),
        (None, Some(_)) => {
            return Err(ApiError::BadRequest(
                "in_ms must be between 1 ms and a year".into(),
            ));
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of at and in_ms".into(),
            ));
        }
    };
    let appended = state
        .conversations
        .set_reminder(&auth.0, id, at, &req.note)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Posted {
            event: appended.event,
            duplicate: false,
        }),
    ))
}
