//! Admission control: past saturation, customer writes are refused at the
//! door instead of queueing until they time out.
//!
//! Without it, a server offered more new conversations than it can store
//! accepts them all: every request holds a task, a database connection
//! waits, the workers' activity queues fill, and the requests already in
//! flight slow down with the newcomers until most of them fail (at 3k/s
//! offered it completed ~900/s, less than half of its 2k/s). With it, a
//! customer write (opening a conversation, a customer message) takes a
//! permit for as long as it is served (REST: taken by
//! [`shed_customer_writes`] before authentication; WebSocket: by the
//! connection before a customer's `send`); when every permit is taken, or a
//! worker's activity queue is more than three quarters full, it is refused
//! at once with `overloaded` (HTTP 429 with `Retry-After`, or an `error`
//! frame with `retry_after_ms`). A refused write has stored nothing, so the
//! client's retry with the same `client_msg_id` is safe; the refusal costs
//! microseconds, so the writes in flight keep the throughput of the knee,
//! and admission resumes by itself as soon as the backlog drains.
//!
//! Agent, bot and worker writes are never refused: they are few, and they
//! are how the backlog gets worked off.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a refused client is asked to wait before retrying.
pub const RETRY_AFTER_MS: u32 = 1000;

/// The permits for customer writes in flight.
#[derive(Clone, Debug)]
pub struct Admission {
    permits: Arc<Semaphore>,
}

/// Held while an admitted write is served; dropping it frees the permit.
#[derive(Debug)]
pub struct Admitted(#[allow(dead_code)] OwnedSemaphorePermit);

impl Admission {
    /// At most `in_flight` customer writes served at once (at least one).
    pub fn new(in_flight: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(in_flight.clamp(1, Semaphore::MAX_PERMITS))),
        }
    }

    /// A permit, or `overloaded` when none is free or `backlogged` says a
    /// worker is falling behind. Never waits.
    pub fn admit(&self, backlogged: bool) -> Result<Admitted, ApiError> {
        if backlogged {
            return Err(overloaded());
        }
        self.permits
            .clone()
            .try_acquire_owned()
            .map(Admitted)
            .map_err(|_| overloaded())
    }
}

fn overloaded() -> ApiError {
    ApiError::Overloaded {
        retry_after_ms: RETRY_AFTER_MS,
    }
}

/// The HTTP side: every customer write (a non-GET request under
/// `/v1/widget/`, and the public report form) is admitted before anything
/// else runs for it, authentication and body included, since those read
/// the store too and would otherwise queue for its connections unbounded.
/// The permit is held until the response is ready.
pub async fn shed_customer_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path();
    let customer = path.starts_with("/v1/widget/") || path == "/v1/verify/report";
    if !(write && customer) {
        return next.run(request).await;
    }
    match state.conversations.admit() {
        Ok(_admitted) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// Is a bounded queue more than three quarters full?
pub fn nearly_full<T>(queue: &tokio::sync::mpsc::Sender<T>) -> bool {
    queue.capacity() < queue.max_capacity() / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_run_out_and_come_back() {
        let gate = Admission::new(2);
        let a = gate.admit(false).expect("first");
        let _b = gate.admit(false).expect("second");
        assert!(matches!(
            gate.admit(false),
            Err(ApiError::Overloaded {
                retry_after_ms: RETRY_AFTER_MS
            })
        ));
        drop(a);
        assert!(gate.admit(false).is_ok(), "a freed permit admits again");
    }

    #[test]
    fn a_backlog_refuses_even_with_permits_free() {
        let gate = Admission::new(8);
        assert!(gate.admit(true).is_err());
        assert!(gate.admit(false).is_ok());
    }

    #[test]
    fn a_queue_is_nearly_full_past_three_quarters() {
        let (tx, _rx) = tokio::sync::mpsc::channel::<u8>(8);
        for _ in 0..6 {
            tx.try_send(0).unwrap();
        }
        assert!(
            !nearly_full(&tx),
            "6 of 8 used: 2 free, not under a quarter"
        );
        tx.try_send(0).unwrap();
        assert!(nearly_full(&tx), "7 of 8 used");
    }
}
