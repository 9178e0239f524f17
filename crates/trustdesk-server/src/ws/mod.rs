//! The WebSocket endpoint, `GET /v1/ws`.

mod connection;
pub mod protocol;
pub mod sessions;
mod subscriptions;

use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/ws", get(upgrade))
}

/// Initial read buffer of a WebSocket connection.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Upgrades to the protocol. A bearer token in the request authenticates at
/// once; browsers, which cannot set headers on a WebSocket, send `hello`.
async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    if !origin_allowed(&state, &headers) {
        return Err(ApiError::Forbidden);
    }
    let pre_auth = match headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(value) => {
            let token = value
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim())
                .ok_or(ApiError::Unauthorized)?;
            Some(auth::authenticate(&state, token).await?)
        }
        None => None,
    };
    // The hard cap closes the socket (1009); below it, an oversized frame
    // gets an error frame and the connection lives on.
    let hard_cap = (state.config.limits.max_frame_bytes * 4).max(1 << 20);
    // tungstenite zero-fills its whole read buffer (128 KiB by default)
    // before the first read, which made every idle connection cost ~143 KiB
    // of RSS. Frames are small JSON; the buffer grows on its own for a
    // large one.
    Ok(ws
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(hard_cap)
        .max_frame_size(hard_cap)
        .on_upgrade(move |socket| connection::run(socket, state, pre_auth)))
}

/// Browsers send `Origin`; other clients do not. With an allowlist
/// configured, a browser page from any other origin (except this server's
/// own pages) may not open a socket.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let allowed = &state.config.widget.allowed_origins;
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if allowed.is_empty() || allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .map(|(_, rest)| rest.eq_ignore_ascii_case(host))
        .unwrap_or(false)
}
