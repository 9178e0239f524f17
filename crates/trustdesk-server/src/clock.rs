//! The server clock: wall time plus an offset that only moves forward.
//!
//! Every deadline (SLA, snooze, reminders, auto-close, the presence grace
//! period, routing's widening and aging) is measured with this clock, so a
//! test (or an admin with `clock.manual_control`) can advance it and see
//! timers fire at the right simulated instants without real waiting. The
//! workers watch [`ServerClock::changed`] and re-evaluate at once.

use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::watch;
use trustdesk_core::Timestamp;

pub struct ServerClock {
    offset_ms: AtomicI64,
    changed: watch::Sender<i64>,
}

impl Default for ServerClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerClock {
    pub fn new() -> Self {
        Self {
            offset_ms: AtomicI64::new(0),
            changed: watch::channel(0).0,
        }
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::now().plus_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `ms` (negative values are ignored: time
    /// never goes back) and wakes everything waiting on a deadline.
    pub fn advance(&self, ms: i64) -> Timestamp {
        let ms = ms.max(0);
        let offset = self.offset_ms.fetch_add(ms, Ordering::Relaxed) + ms;
        self.changed.send_replace(offset);
        self.now()
    }

    /// The current offset from wall time.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Notified whenever the clock is advanced.
    pub fn changed(&self) -> watch::Receiver<i64> {
        self.changed.subscribe()
    }

    /// How long to sleep in real time until the clock reads `at`.
    pub fn until(&self, at: Timestamp) -> std::time::Duration {
        let ms = at.0.saturating_sub(self.now().0).max(0);
        std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
    }
}
