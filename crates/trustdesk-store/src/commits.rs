//! Who hears about the store's commits: the server's metrics (commit
//! latency and how many writes each commit carried). The store only
//! reports; it keeps no figures of its own.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Told about every commit of conversation writes.
pub trait CommitObserver: Send + Sync {
    /// `writes` jobs shared one commit (the SQLite writer's group commit;
    /// always 1 on PostgreSQL), which took `took` (the `COMMIT` itself,
    /// which is where the fsync is paid).
    fn committed(&self, writes: usize, took: Duration);
}

/// The slot a backend reports into: empty until the server sets its
/// observer, which it does once at start.
#[derive(Clone, Default)]
pub(crate) struct CommitWatch(Arc<OnceLock<Arc<dyn CommitObserver>>>);

impl CommitWatch {
    /// Sets the observer; a second call keeps the first (one server owns
    /// a store's figures).
    pub(crate) fn set(&self, observer: Arc<dyn CommitObserver>) {
        let _ = self.0.set(observer);
    }

    pub(crate) fn committed(&self, writes: usize, took: Duration) {
        if let Some(observer) = self.0.get() {
            observer.committed(writes, took);
        }
    }
}
