//! Automation: rules that act on conversations by themselves when
//! something happens, and macros an agent runs by hand
//! (docs/automation.md). The decisions are the pure planner in
//! `trustdesk_core::automation`; here they are kept, heard and carried
//! out:
//!
//! - `book.rs`: where rules and macros are stored (desk settings) and this
//!   node's copy of the rules;
//! - `subject.rs`: what a rule sees of a conversation;
//! - `worker.rs`: the leader's worker that fires rules on every write and
//!   on idle conversations;
//! - `routes.rs`: the admin API (rules, dry run, firings, macros) and the
//!   agent's "run this macro".
//!
//! The actions themselves are conversation writes, so they live with the
//! conversations service (`conversations/service/automated.rs`).

pub mod book;
pub mod routes;
mod subject;
pub mod worker;

pub use book::AutomationHandle;
pub use routes::router;
