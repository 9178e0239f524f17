//! Routing over HTTP: the live queue for supervisors, the customer's queue
//! position, agents' routing profiles and teams (admin).

use crate::accounts::audit;
use crate::auth::{AdminAuth, CustomerAuth, SupervisorAuth};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ConversationPath, Json};
use crate::routing::worker::{Command, Snapshot};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::routing::Skills;
use trustdesk_core::{AgentId, Category, Language, Team, TeamId};
use trustdesk_store::RoutingProfile;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/queue", get(queue))
        .route("/v1/widget/conversations/{id}/queue", get(my_queue))
        .route(
            "/v1/admin/agents/{id}/routing",
            get(get_routing).put(put_routing),
        )
        .route("/v1/admin/teams", post(create_team))
}

/// The queue and the agents' presence and load (supervisors).
#[utoipa::path(get, path = "/v1/agent/queue", tag = "routing", security(("bearer" = [])), responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorBody)))]
async fn queue(State(state): State<AppState>, _auth: SupervisorAuth) -> ApiResult<Json<Snapshot>> {
    Ok(Json(state.routing.snapshot()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyQueue {
    #[schema(value_type = String)]
    conversation_id: trustdesk_core::ConversationId,
    /// False once an agent has it (or it is not waiting for one).
    queued: bool,
    position: Option<usize>,
    estimated_wait_ms: Option<i64>,
    /// `known` or `unknown` (no handling-time data or no agent available).
    estimate: &'static str,
}

/// The customer's place in the queue and the estimated wait.
#[utoipa::path(get, path = "/v1/widget/conversations/{id}/queue", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MyQueue), (status = 404, body = crate::error::ErrorBody)))]
async fn my_queue(
    State(state): State<AppState>,
    auth: CustomerAuth,
    ConversationPath(id): ConversationPath,
) -> ApiResult<Json<MyQueue>> {
    let conversation = state.conversations.visible(&auth.0, id).await?;
    let info = state.routing.queue_info(conversation.id);
    let estimated_wait_ms = info.as_ref().and_then(|i| i.estimated_wait_ms);
    Ok(Json(MyQueue {
        conversation_id: conversation.id,
        queued: info.is_some(),
        position: info.as_ref().map(|i| i.position),
        estimated_wait_ms,
        estimate: if estimated_wait_ms.is_some() {
            "known"
        } else {
            "unknown"
        },
    }))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingBody {
    /// Proficiency per category, 0–3 (0 or absent: no skill).
    #[schema(value_type = Object, example = json!({"transfer": 3, "account": 2}))]
    skills: BTreeMap<Category, u8>,
    /// Most concurrent conversations (0–100; 0 = never routed to).
    capacity: u32,
    /// Languages the agent answers in (replaces the list when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    languages: Option<Vec<Language>>,
    /// The agent's team; `null` removes it, absent leaves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    team_id: Option<serde_json::Value>,
}

fn agent_path(raw: &str) -> ApiResult<AgentId> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// An agent's routing profile: skills, capacity, languages, team.
#[utoipa::path(get, path = "/v1/admin/agents/{id}/routing", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RoutingBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn get_routing(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<RoutingBody>> {
    routing_view(&state, agent_path(&id)?).await
}

async fn routing_view(state: &AppState, id: AgentId) -> ApiResult<Json<RoutingBody>> {
    let agent = state.store.get_agent(id).await?;
    let profile = state
        .store
        .routing_profiles()
        .await?
        .into_iter()
        .find(|p| p.agent_id == id);
    let (skills, capacity) = profile.map_or((Skills::NONE, 0), |p| (p.skills, p.capacity));
    Ok(Json(RoutingBody {
        skills: Category::ALL
            .iter()
            .filter(|c| skills.get(**c) > 0)
            .map(|c| (*c, skills.get(*c)))
            .collect(),
        capacity,
        languages: Some(agent.languages),
        team_id: Some(
            agent
                .team_id
                .map_or(serde_json::Value::Null, |t| t.to_string().into()),
        ),
    }))
}

/// Sets an agent's routing profile (admins). The router uses it at once.
#[utoipa::path(put, path = "/v1/admin/agents/{id}/routing", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = RoutingBody,
    responses((status = 200, body = RoutingBody), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn put_routing(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Json(req): Json<RoutingBody>,
) -> ApiResult<Json<RoutingBody>> {
    let id = agent_path(&id)?;
    if req.capacity > 100 {
        return Err(ApiError::BadRequest("capacity must be 0–100".into()));
    }
    if let Some((c, p)) = req.skills.iter().find(|(_, p)| **p > 3) {
        return Err(ApiError::BadRequest(format!(
            "proficiency for {c} must be 0–3, got {p}"
        )));
    }
    if let Some(langs) = &req.languages
        && langs.is_empty()
    {
        return Err(ApiError::BadRequest(
            "languages must name at least one language".into(),
        ));
    }
    let team = match &req.team_id {
        None => None,
        Some(serde_json::Value::Null) => Some(None),
        Some(serde_json::Value::String(s)) => {
            let team: TeamId = s
                .parse()
                .map_err(|_| ApiError::BadRequest("no such team".into()))?;
            if !state.store.list_teams().await?.iter().any(|t| t.id == team) {
                return Err(ApiError::BadRequest("no such team".into()));
            }
            Some(Some(team))
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "team_id must be a team id or null".into(),
            ));
        }
    };
    let profile = RoutingProfile {
        agent_id: id,
        skills: Skills::from_pairs(req.skills.iter().map(|(c, p)| (*c, *p))),
        capacity: req.capacity,
        updated_at: state.clock.now(),
    };
    state
        .store
        .set_routing_profile(&profile, req.languages.clone(), team)
        .await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::RoutingProfileSet,
        id.to_string(),
        serde_json::json!({ "skills": &req.skills, "capacity": req.capacity, "languages": &req.languages }),
    )
    .await?;
    state.routing.send(Command::ProfilesChanged).await;
    routing_view(&state, id).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    name: String,
}

/// Creates a team (admins).
#[utoipa::path(post, path = "/v1/admin/teams", tag = "admin", security(("bearer" = [])), request_body = NewTeam,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    auth: AdminAuth,
    Json(req): Json<NewTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::BadRequest(
            "team name must be 1–80 characters".into(),
        ));
    }
    let team = Team {
        id: TeamId::new(),
        name: name.to_owned(),
        created_at: state.clock.now(),
    };
    state.store.create_team(&team).await.map_err(|e| match e {
        trustdesk_store::StoreError::Conflict(_) => {
            ApiError::Conflict("a team with that name exists".into())
        }
        other => other.into(),
    })?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::TeamCreated,
        team.id.to_string(),
        serde_json::json!({ "name": &team.name }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(team)))
}
