//! The sessions this node's sockets are open on, checked against the
//! store in one query every few seconds. Whatever ended a session (a
//! logout or revocation on another node whose bus message was lost, the
//! CLI, an expiry, a deactivated agent), its sockets on every node close
//! within [`SWEEP`], at the cost of one query per node rather than one per
//! socket. The bus still carries revocations at once; this sweep is what
//! makes them hold when it does not.

use crate::bus::{Bus, BusMessage, Topic};
use crate::clock::ServerClock;
use crate::workers::Worker;
use dashmap::DashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use trustdesk_core::SessionId;
use trustdesk_store::Store;

/// How often the open sessions are checked.
pub const SWEEP: Duration = Duration::from_secs(5);

/// Open sockets per session on this node.
#[derive(Clone, Default)]
pub struct OpenSessions(Arc<DashMap<SessionId, u32>>);

/// Counts one socket on a session until dropped.
pub struct OpenSession {
    sessions: OpenSessions,
    id: SessionId,
}

impl OpenSessions {
    /// Counts a socket open on `id` for as long as the guard lives.
    pub fn open(&self, id: SessionId) -> OpenSession {
        *self.0.entry(id).or_insert(0) += 1;
        OpenSession {
            sessions: self.clone(),
            id,
        }
    }

    fn ids(&self) -> Vec<SessionId> {
        self.0.iter().map(|entry| *entry.key()).collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for OpenSession {
    fn drop(&mut self) {
        self.sessions.0.remove_if_mut(&self.id, |_, sockets| {
            *sockets -= 1;
            *sockets == 0
        });
    }
}

/// Closes this node's sockets whose session ended, every [`SWEEP`].
pub struct SessionSweep {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    clock: Arc<ServerClock>,
    sessions: OpenSessions,
}

impl SessionSweep {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        clock: Arc<ServerClock>,
        sessions: OpenSessions,
    ) -> Self {
        Self {
            store,
            bus,
            clock,
            sessions,
        }
    }

    async fn sweep(&self) {
        let open = self.sessions.ids();
        if open.is_empty() {
            return;
        }
        match self.store.ended_sessions(&open, self.clock.now()).await {
            Ok(ended) if ended.is_empty() => {}
            Ok(ended) => {
                tracing::debug!(sessions = ended.len(), "closing sockets of ended sessions");
                self.bus.deliver_local(
                    Topic::Control,
                    BusMessage::SessionsRevoked(Arc::from(ended)),
                );
            }
            // Keep the sockets; the next sweep asks again.
            Err(err) => tracing::warn!(error = %err, "could not check open sessions"),
        }
    }
}

impl Worker for SessionSweep {
    const NAME: &'static str = "session sweep";

    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut every = tokio::time::interval(SWEEP);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            self.sweep().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_stays_open_until_its_last_socket_closes() {
        let sessions = OpenSessions::default();
        let id = SessionId::new();
        let first = sessions.open(id);
        let second = sessions.open(id);
        let other = sessions.open(SessionId::new());
        assert_eq!(sessions.len(), 2);
        drop(first);
        assert_eq!(sessions.ids().iter().filter(|s| **s == id).count(), 1);
        drop(second);
        assert!(!sessions.ids().contains(&id));
        drop(other);
        assert!(sessions.is_empty());
    }
}
