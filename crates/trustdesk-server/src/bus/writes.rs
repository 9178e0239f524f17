//! The writes a desk-wide worker hears (routing, timers, channel
//! delivery): this node's, straight from the conversations service (never
//! lost: a full queue holds the writer back), and the other nodes', from
//! the bus (at most once: a receiver that lags, or a message NATS drops,
//! is lost). A loss is reported as [`Heard::Missed`], and every such worker
//! can catch up from the store, which has every write.

use crate::conversations::Activity;
use tokio::sync::{broadcast, mpsc};

#[derive(Debug)]
pub enum Heard {
    Write(Activity),
    /// Writes of other nodes were lost on the way: catch up from the store.
    Missed,
}

pub struct DeskWrites {
    local: mpsc::Receiver<Activity>,
    remote: Option<broadcast::Receiver<Activity>>,
}

impl DeskWrites {
    pub fn new(
        local: mpsc::Receiver<Activity>,
        remote: Option<broadcast::Receiver<Activity>>,
    ) -> Self {
        Self { local, remote }
    }

    /// Only this node's writes (a one-node desk, tests).
    pub fn local(local: mpsc::Receiver<Activity>) -> Self {
        Self::new(local, None)
    }

    /// Whether this node's writes queued for this worker fill more than
    /// three quarters of the queue. A worker that writes conversations
    /// itself checks it first: its own writes queue here too, and a write
    /// into a full queue would wait for the very worker that makes it.
    pub fn nearly_full(&self) -> bool {
        self.local.len() > self.local.max_capacity() / 4 * 3
    }

    /// Whether other nodes' writes come here too (and may be missed).
    pub fn spans_nodes(&self) -> bool {
        self.remote.is_some()
    }

    /// The next write, from this node or another; `None` once this node's
    /// conversations service is gone.
    pub async fn recv(&mut self) -> Option<Heard> {
        let heard = {
            let Self { local, remote } = self;
            let from_others = async {
                match remote {
                    Some(r) => r.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                write = local.recv() => return write.map(Heard::Write),
                heard = from_others => heard,
            }
        };
        Some(remote(heard, &mut self.remote))
    }

    /// A write already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Heard> {
        if let Ok(write) = self.local.try_recv() {
            return Some(Heard::Write(write));
        }
        match self.remote.as_mut()?.try_recv() {
            Ok(write) => Some(Heard::Write(write)),
            Err(broadcast::error::TryRecvError::Empty) => None,
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(Heard::Missed),
            Err(broadcast::error::TryRecvError::Closed) => {
                self.remote = None;
                Some(Heard::Missed)
            }
        }
    }
}

fn remote(
    heard: Result<Activity, broadcast::error::RecvError>,
    receiver: &mut Option<broadcast::Receiver<Activity>>,
) -> Heard {
    match heard {
        Ok(write) => Heard::Write(write),
        Err(broadcast::error::RecvError::Lagged(lost)) => {
            tracing::warn!(
                lost,
                "a worker lagged behind the other nodes' writes; catching up from the store"
            );
            Heard::Missed
        }
        Err(broadcast::error::RecvError::Closed) => {
            *receiver = None;
            Heard::Missed
        }
    }
}
