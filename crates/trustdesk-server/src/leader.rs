//! This node's leadership of the work only one node may do at a time:
//! firing timers, reading the support mailbox, polling Telegram
//! (`trustdesk_store::LeaseStore`). The leadership worker tries to take the
//! lease every two seconds and, while it holds it, checks every two
//! seconds that it still does; the workers it gates watch the flag. With
//! SQLite (one node) the lease is always held.
//!
//! What the gated workers write stays guarded by the store's own
//! conditions, so the moment between losing the lease and noticing it
//! cannot double anything either.

use crate::workers::Worker;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use trustdesk_store::Store;

/// The lease of the singleton work.
pub const SINGLETONS: &str = "trustdesk.singletons";
const ROUND: Duration = Duration::from_secs(2);

pub struct LeaderWorker {
    store: Arc<dyn Store>,
    leading: watch::Sender<bool>,
}

impl LeaderWorker {
    pub fn new(store: Arc<dyn Store>, leading: watch::Sender<bool>) -> Self {
        Self { store, leading }
    }
}

/// Waits until this node leads; `false` when shutdown came first.
pub async fn until_leading(
    leading: &mut watch::Receiver<bool>,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        led = leading.wait_for(|l| *l) => led.is_ok(),
        _ = shutdown.wait_for(|s| *s) => false,
    }
}

impl Worker for LeaderWorker {
    const NAME: &'static str = "leadership";

    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let pause = |shutdown: &mut watch::Receiver<bool>| {
            let mut shutdown = shutdown.clone();
            async move {
                tokio::select! {
                    _ = tokio::time::sleep(ROUND) => true,
                    _ = shutdown.wait_for(|s| *s) => false,
                }
            }
        };
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.store.try_lease(SINGLETONS).await {
                Ok(Some(mut lease)) => {
                    tracing::info!("this node leads the singleton work (timers, mail, Telegram)");
                    self.leading.send_replace(true);
                    loop {
                        if !pause(&mut shutdown).await {
                            return;
                        }
                        if !lease.held().await {
                            tracing::warn!("this node lost the lead; another node takes over");
                            self.leading.send_replace(false);
                            break;
                        }
                    }
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "cannot try for the lead"),
            }
            if !pause(&mut shutdown).await {
                return;
            }
        }
    }
}
