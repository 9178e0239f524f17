//! `GET /metrics`: the Prometheus exposition text. Never open to anyone:
//! either a bearer token is configured (`[metrics] token`) and every
//! scrape carries it, or the metrics have a listen address of their own
//! (`[metrics] listen`, e.g. on a private interface) and the public
//! listener does not serve them at all. With neither, `/metrics` is 404.

use crate::auth::shared_secret::SharedSecret;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;

pub const PATH: &str = "/metrics";

/// The text format Prometheus scrapes.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The route on the public listener: served only with a token and no
/// listener of its own.
pub fn router(state: &AppState) -> Router<AppState> {
    let metrics = &state.config.metrics;
    match (&metrics.token, metrics.listen) {
        (Some(_), None) => Router::new().route(PATH, get(scrape)),
        _ => Router::new(),
    }
}

/// The whole router of the metrics' own listener.
pub fn own_listener(state: AppState) -> Router {
    Router::new().route(PATH, get(scrape)).with_state(state)
}

#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain"), (status = 401, description = "Token missing or wrong")),
    security(("bearer" = [])))]
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics.token {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !SharedSecret::new(token.expose_secret()).matches(given.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, "Bearer")],
                "a metrics token is required",
            )
                .into_response();
        }
    }
    let queue_length = state.routing.snapshot().queue.len();
    (
        [(CONTENT_TYPE, EXPOSITION)],
        state.metrics.render(queue_length),
    )
        .into_response()
}
