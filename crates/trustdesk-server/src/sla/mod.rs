//! SLA and lifecycle timers: the worker that keeps every conversation's SLA
//! clocks and fires due timers (warnings, breaches, escalation, snooze,
//! auto-close, reminders), and the policy, calendar and commitment routes.

pub mod routes;
pub mod worker;

pub use routes::router;
