//! Routing: the worker that chooses an agent for each waiting conversation
//! (`worker.rs`, an IO loop around `trustdesk_core::routing`), presence,
//! queue positions, and the queue and routing-profile routes.

pub mod routes;
pub mod worker;

pub use routes::router;
