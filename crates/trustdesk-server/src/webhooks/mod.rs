//! Outbound webhooks, the API channel, to the Standard Webhooks scheme
//! (docs/webhooks.md): an exchange's systems subscribe to what happens in
//! conversations and receive signed JSON messages, delivered from a
//! durable outbox.
//!
//! * `ssrf.rs` — where a server-side request may go (every resolved
//!   address checked, the CIDR allowlist).
//! * `sender.rs` — one signed attempt, pinned to the checked address.
//! * `worker.rs` — the outbox worker: enqueue from every stored write,
//!   deliver, retry, disable gone endpoints.
//! * `endpoints.rs` — the rules of an endpoint: URL checks at save time,
//!   server-generated secrets, rotation.
//! * `routes.rs` — the admin API under `/v1/admin/webhooks`.
//!
//! The signer, the retry schedule and the event types are pure code in
//! `trustdesk_core::webhook`. The freeze lane (`trust/freeze.rs`) sends
//! with the same signer and sender.

pub mod endpoints;
pub mod routes;
pub mod sender;
pub mod ssrf;
pub mod worker;

pub use routes::router;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Notify;

/// What the admin API tells the worker on this node: "look now" (a
/// replay, a re-enabled endpoint) and "the endpoints changed" (read them
/// again before the next enqueue).
#[derive(Clone, Default)]
pub struct WebhookHandle(Arc<HandleInner>);

#[derive(Default)]
struct HandleInner {
    kick: Notify,
    generation: AtomicU64,
}

impl WebhookHandle {
    /// Wakes the deliver loop.
    pub fn kick(&self) {
        self.0.kick.notify_one();
    }

    pub(crate) async fn kicked(&self) {
        self.0.kick.notified().await;
    }

    /// Makes the enqueue loop read the endpoints again.
    pub fn endpoints_changed(&self) {
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        self.kick();
    }

    pub(crate) fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::SeqCst)
    }
}
