//! The agent API: login, inbox, conversation view, replies, notes, status,
//! assignment, and the team directory.

use crate::auth::AgentAuth;
use crate::bus::{BusMessage, Topic};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query, conversation_id};
use crate::http::views::{ConversationPage, History, HistoryQuery, Posted};
use crate::services::conversations::Post;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trustdesk_core::{
    Agent, AgentId, Category, ConversationId, ConversationStatus, Language, Priority, Team, TeamId,
    Timestamp,
};
use trustdesk_store::{AssigneeFilter, ConversationFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/logout", post(logout))
        .route("/v1/agent/me", get(me))
        .route("/v1/agent/agents", get(agents))
        .route("/v1/agent/teams", get(teams))
        .route("/v1/agent/stats/bot", get(bot_stats))
        .route("/v1/agent/stats/csat", get(csat_stats))
        .route("/v1/agent/conversations", get(list))
        .route("/v1/agent/conversations/{id}", get(show))
        .route("/v1/agent/conversations/{id}/messages", post(reply))
        .route("/v1/agent/conversations/{id}/notes", post(note))
        .route("/v1/agent/conversations/{id}/status", post(set_status))
        .route("/v1/agent/conversations/{id}/assign", post(assign))
}

/// Ends this session; its WebSockets close at once.
#[utoipa::path(post, path = "/v1/agent/logout", tag = "agent", security(("bearer" = [])), responses((status = 204)))]
async fn logout(State(state): State<AppState>, auth: AgentAuth) -> ApiResult<StatusCode> {
    let session = auth.0.session_id;
    state
        .store
        .revoke_session(session, Timestamp::now())
        .await?;
    crate::services::audit::record(
        state.store.as_ref(),
        crate::services::audit::actor_of(&auth.0),
        "agent.logout",
        session.to_string(),
        serde_json::json!({}),
    )
    .await?;
    state
        .bus
        .publish(
            Topic::Control,
            BusMessage::SessionsRevoked(Arc::from(vec![session])),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in agent.
#[utoipa::path(get, path = "/v1/agent/me", tag = "agent", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn me(auth: AgentAuth) -> Json<Agent> {
    Json(auth.agent().clone())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentList {
    #[schema(value_type = Vec<Object>)]
    agents: Vec<Agent>,
}

/// The team directory.
#[utoipa::path(get, path = "/v1/agent/agents", tag = "agent", security(("bearer" = [])), responses((status = 200, body = AgentList)))]
async fn agents(State(state): State<AppState>, _auth: AgentAuth) -> ApiResult<Json<AgentList>> {
    Ok(Json(AgentList {
        agents: state.store.list_agents().await?,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamList {
    #[schema(value_type = Vec<Object>)]
    teams: Vec<Team>,
}

#[utoipa::path(get, path = "/v1/agent/teams", tag = "agent", security(("bearer" = [])), responses((status = 200, body = TeamList)))]
async fn teams(State(state): State<AppState>, _auth: AgentAuth) -> ApiResult<Json<TeamList>> {
    Ok(Json(TeamList {
        teams: state.store.list_teams().await?,
    }))
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
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
    /// `next_before` of the previous page.
    before: Option<String>,
}

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
        Ok(ConversationFilter {
            statuses,
            assignee,
            team_id: parse_field::<TeamId>("team", self.team.as_deref())?,
            customer_id: None,
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
    auth: AgentAuth,
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
    auth: AgentAuth,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<History>> {
    let conversation = state
        .conversations
        .visible(&auth.0, conversation_id(&id)?)
        .await?;
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
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<AgentPostMessage>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    post_as_agent(&state, &auth, &id, req, false).await
}

/// Adds an internal note: visible to the team, never to the customer.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/notes", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = AgentPostMessage,
    responses((status = 201, body = Posted), (status = 200, body = Posted), (status = 404, body = crate::error::ErrorBody)))]
async fn note(
    State(state): State<AppState>,
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<AgentPostMessage>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    post_as_agent(&state, &auth, &id, req, true).await
}

async fn post_as_agent(
    state: &AppState,
    auth: &AgentAuth,
    id: &str,
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
        state
            .conversations
            .post(&auth.0, conversation_id(id)?, post)
            .await?,
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
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<SetStatus>,
) -> ApiResult<Json<Posted>> {
    let appended = state
        .conversations
        .set_status(
            &auth.0,
            conversation_id(&id)?,
            req.status,
            req.snoozed_until,
        )
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
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<Assign>,
) -> ApiResult<Json<Posted>> {
    let appended = state
        .conversations
        .assign(&auth.0, conversation_id(&id)?, req.agent_id)
        .await?;
    Ok(Json(Posted {
        event: appended.event,
        duplicate: false,
    }))
}

/// What the answer bot achieved: conversations answered, resolved by the bot
/// (deflection) and handed off to a human.
#[utoipa::path(get, path = "/v1/agent/stats/bot", tag = "agent", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn bot_stats(
    State(state): State<AppState>,
    _auth: AgentAuth,
) -> ApiResult<Json<trustdesk_store::BotOutcomes>> {
    Ok(Json(state.store.bot_outcomes().await?))
}

/// Customer satisfaction over all rated conversations.
#[utoipa::path(get, path = "/v1/agent/stats/csat", tag = "agent", security(("bearer" = [])), responses((status = 200, body = Object)))]
pub(crate) async fn csat_stats(
    State(state): State<AppState>,
    _auth: AgentAuth,
) -> ApiResult<Json<trustdesk_store::CsatSummary>> {
    Ok(Json(state.store.csat_summary().await?))
}
