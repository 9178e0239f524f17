//! One measured wait: wall time and business time between a start and an
//! end, with the pauses the SLA honours taken out of the business time.
//!
//! It wraps the SLA's own [`SlaClock`] rather than redoing its math, so a
//! report's business time and the SLA's elapsed time are computed by the
//! same code: same calendar walk, same pause rules, same clamping when
//! timestamps go backwards.

use crate::sla::{BusinessCalendar, SlaClock};
use crate::time::Timestamp;

use super::Elapsed;

#[derive(Clone, Debug)]
pub(super) struct Stopwatch {
    clock: SlaClock,
}

impl Stopwatch {
    pub(super) fn start(at: Timestamp) -> Self {
        Self {
            clock: SlaClock::start(at),
        }
    }

    pub(super) fn started_at(&self) -> Timestamp {
        self.clock.started_at
    }

    /// Pauses a running watch. An out-of-order or repeated pause is
    /// ignored, as the tracker ignores it: the log is the truth, and a
    /// report must not fail on it.
    pub(super) fn pause(&mut self, at: Timestamp) {
        if !self.clock.is_paused() {
            let _ = self.clock.pause(at);
        }
    }

    pub(super) fn resume(&mut self, at: Timestamp) {
        if self.clock.is_paused() {
            let _ = self.clock.resume(at);
        }
    }

    /// The time from the start to `end`. An end before the start (clock
    /// skew between nodes) measures zero, never a negative duration. A
    /// pause still open at `end` counts as lasting until `end`.
    pub(super) fn elapsed_until(&self, end: Timestamp, calendar: &BusinessCalendar) -> Elapsed {
        let calendar_ms = end.0.saturating_sub(self.clock.started_at.0).max(0);
        // `elapsed` counts each running interval up to `end` and stops
        // counting at an open pause: exactly "business time minus pauses".
        let business_ms = self.clock.elapsed(calendar, end).clamp(0, calendar_ms);
        Elapsed {
            calendar_ms,
            business_ms,
        }
    }
}
