//! The answer bot's outcomes and CSAT, for the console.

use crate::auth::AgentAuth;
use crate::error::ApiResult;
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/stats/bot", get(bot_stats))
        .route("/v1/agent/stats/csat", get(csat_stats))
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
