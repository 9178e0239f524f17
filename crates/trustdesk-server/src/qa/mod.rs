//! QA review of conversations (docs/qa.md): scorecards, sampled review
//! assignments, reviews with automatic pre-checks, and the QA score per
//! agent. The scoring, sampling and pre-checks are the pure
//! `trustdesk_core::qa`; here they meet the store:
//!
//! - `scorecards.rs`: the desk's cards (a desk setting; the built-in
//!   crypto card is always there);
//! - `conversation.rs`: one conversation's facts, pre-checks and the agent
//!   whose work it is;
//! - `routes.rs`: the API.

mod conversation;
pub mod routes;
mod scorecards;

pub use routes::router;
