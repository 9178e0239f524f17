//! Trust: what proves who is official and keeps secrets out. The secret and
//! outbound guards on the message path (`guard.rs`), the official-channel
//! registry and public verification (`verify.rs`), the emergency freeze
//! (`freeze.rs`), the customer's anti-phishing code, and the analysis
//! endpoints (triage and guard scan).

pub mod analysis;
pub mod anti_phishing;
pub mod freeze;
pub mod freeze_routes;
pub mod guard;
pub mod verify;

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(verify::router())
        .merge(freeze_routes::router())
        .merge(anti_phishing::router())
        .merge(analysis::router())
}
