//! The team directory agents see: agents and teams.

use crate::auth::ConversationReader;
use crate::error::ApiResult;
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use trustdesk_core::{Agent, Team};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/agents", get(agents))
        .route("/v1/agent/teams", get(teams))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentList {
    #[schema(value_type = Vec<Object>)]
    agents: Vec<Agent>,
}

/// The team directory.
#[utoipa::path(get, path = "/v1/agent/agents", tag = "agent", security(("bearer" = [])), responses((status = 200, body = AgentList)))]
async fn agents(
    State(state): State<AppState>,
    _auth: ConversationReader,
) -> ApiResult<Json<AgentList>> {
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
async fn teams(
    State(state): State<AppState>,
    _auth: ConversationReader,
) -> ApiResult<Json<TeamList>> {
    Ok(Json(TeamList {
        teams: state.store.list_teams().await?,
    }))
}
