//! Skill-based routing: a pure, deterministic engine.
//!
//! * [`Router`] decides which agent gets which queued conversation
//!   ([`Router::decide`] for a batch, [`Router::rank`] for one), in which
//!   order the queue is served ([`Router::queue_order`], with aging), how far
//!   an entry's requirements have widened ([`Router::widening_level`]) and
//!   when the next of those changes happens ([`Router::next_change_at`]).
//! * [`presence`] says when an agent counts as gone and when their
//!   conversations return to the queue.
//! * [`estimate_wait`] turns a queue position into a wait estimate.
//! * [`pass`] plans one routing pass without IO: requeues of agents gone
//!   past the grace period, assignments (team queues first), positions
//!   and estimates of everyone still waiting, the next instant to look.
//!
//! The policy is described in `docs/routing.md`.

mod engine;
mod estimate;
pub mod pass;
pub mod presence;
mod types;

pub use engine::Router;
pub use estimate::estimate_wait;
pub use presence::{
    AgentLiveness, PresenceConfig, Requeue, effective_presence, requeue_after_disconnect,
};
pub use types::{
    AgentState, Assignment, CATEGORY_COUNT, LanguageSet, MatchKind, Presence, QueueEntry,
    RoutingConfig, Skills, WideningLevel,
};
