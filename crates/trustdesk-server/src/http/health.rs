//! Liveness and readiness.

use crate::error::ApiResult;
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// "ok" when the database answers.
    status: &'static str,
    version: &'static str,
    store: &'static str,
    bus: &'static str,
    /// Whether this node leads the singleton work (routing writes, timers,
    /// reading the mailbox, polling Telegram); exactly one node of a desk
    /// does, and a one-node desk always.
    leading: bool,
}

/// Health: the database answers and the server runs.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health), (status = 500, body = crate::error::ErrorBody)))]
async fn health(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.store.ping().await?;
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        store: state.store.backend(),
        bus: state.bus.kind(),
        leading: *state.leading.borrow(),
    }))
}
