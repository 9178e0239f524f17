//! Conversations: the service every conversation write goes through
//! (`service.rs`: open, post, status, assignment, transfer, reminders,
//! fan-out), the answer bot (`bot.rs`, `llm.rs`), CSAT (`feedback.rs`),
//! canned responses, and their HTTP routes for customers and agents.

pub mod admission;
pub mod agent_routes;
pub mod bot;
pub mod canned;
pub mod customer_routes;
pub mod feedback;
pub mod labels;
pub mod llm;
pub mod rating_link;
pub mod rating_page;
pub mod related;
pub mod service;
pub mod stats;
pub mod views;

pub use service::*;

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(customer_routes::router())
        .merge(agent_routes::router())
        .merge(related::router())
        .merge(canned::router())
        .merge(labels::router())
        .merge(rating_page::router())
        .merge(stats::router())
}
