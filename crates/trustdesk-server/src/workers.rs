//! The background workers (routing, timers): one trait, one `JoinSet`.
//!
//! Each worker owns its inputs (bounded channels, so a worker that falls
//! behind slows the writers that feed it instead of growing without
//! bound) and runs until the shutdown signal turns true; it then finishes
//! what it already holds and returns. `Application::run_until_stopped`
//! joins them after the listener has drained, so nothing they were told
//! is lost at a clean stop.

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How many write reports (`Activity`) may wait for a worker before the
/// writer waits for it.
pub const ACTIVITY_QUEUE: usize = 16_384;

pub trait Worker: Send + 'static {
    /// For logs.
    const NAME: &'static str;

    /// Runs until `shutdown` turns true, finishes what it holds, returns.
    fn run(self, shutdown: watch::Receiver<bool>) -> impl Future<Output = ()> + Send;
}

/// The running workers.
pub struct Workers {
    set: JoinSet<&'static str>,
    shutdown: watch::Receiver<bool>,
}

impl Workers {
    pub fn new(shutdown: watch::Receiver<bool>) -> Self {
        Self {
            set: JoinSet::new(),
            shutdown,
        }
    }

    pub fn spawn<W: Worker>(&mut self, worker: W) {
        let shutdown = self.shutdown.clone();
        self.set.spawn(async move {
            worker.run(shutdown).await;
            W::NAME
        });
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Waits for every worker to return (after the shutdown signal), at
    /// most `grace`; a worker still running then is aborted and named in
    /// the log.
    pub async fn join(mut self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            match tokio::time::timeout_at(deadline, self.set.join_next()).await {
                Ok(None) => return,
                Ok(Some(Ok(name))) => tracing::debug!(worker = name, "worker stopped"),
                Ok(Some(Err(err))) => tracing::error!(error = %err, "a worker failed"),
                Err(_) => {
                    tracing::warn!(
                        workers = self.set.len(),
                        "workers still running after the grace period; aborting them"
                    );
                    self.set.abort_all();
                    while self.set.join_next().await.is_some() {}
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Drains(Arc<AtomicBool>);

    impl Worker for Drains {
        const NAME: &'static str = "drains";
        async fn run(self, mut shutdown: watch::Receiver<bool>) {
            let _ = shutdown.wait_for(|stop| *stop).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.0.store(true, Ordering::SeqCst);
        }
    }

    struct Stuck;

    impl Worker for Stuck {
        const NAME: &'static str = "stuck";
        async fn run(self, _: watch::Receiver<bool>) {
            std::future::pending::<()>().await;
        }
    }

    #[tokio::test]
    async fn join_waits_for_a_worker_to_finish_after_shutdown() {
        let (stop, stopping) = watch::channel(false);
        let done = Arc::new(AtomicBool::new(false));
        let mut workers = Workers::new(stopping);
        workers.spawn(Drains(done.clone()));
        assert_eq!(workers.len(), 1);
        stop.send(true).unwrap();
        workers.join(Duration::from_secs(5)).await;
        assert!(
            done.load(Ordering::SeqCst),
            "join returned before the drain"
        );
    }

    #[tokio::test]
    async fn join_gives_up_on_a_stuck_worker_after_the_grace_period() {
        let (stop, stopping) = watch::channel(false);
        let mut workers = Workers::new(stopping);
        workers.spawn(Stuck);
        stop.send(true).unwrap();
        let started = std::time::Instant::now();
        workers.join(Duration::from_millis(50)).await;
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
