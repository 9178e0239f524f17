//! An SLA clock: a state machine (start, pause, resume, stop) whose elapsed
//! business time, status and next event are pure functions of its history,
//! a calendar and `now`.
//!
//! The clock is plain data (serialisable), so the server persists it with
//! the conversation and, after a restart, recomputes the one instant at
//! which it must wake up ([`SlaClock::evaluate`] → `next_event_at`).

use super::calendar::BusinessCalendar;
use super::policy::Target;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A source of "now". The logic never reads the wall clock itself; the
/// server passes `Timestamp::now` (any `Fn() -> Timestamp` is a clock),
/// tests pass a [`ManualClock`].
pub trait Clock {
    fn now(&self) -> Timestamp;
}

impl<F: Fn() -> Timestamp> Clock for F {
    fn now(&self) -> Timestamp {
        self()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock(std::cell::Cell<i64>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        Self(std::cell::Cell::new(at.0))
    }
    pub fn set(&self, at: Timestamp) {
        self.0.set(at.0);
    }
    pub fn advance(&self, ms: i64) {
        self.0.set(self.0.get().saturating_add(ms));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.get())
    }
}

/// A pause of the clock (the conversation waited on the customer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Timestamp,
    /// `None` while the pause lasts.
    pub to: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("the clock is stopped")]
    Stopped,
    #[error("the clock is already paused")]
    AlreadyPaused,
    #[error("the clock is not paused")]
    NotPaused,
    #[error("time went backwards: {at:?} is before the clock's last change {last:?}")]
    OutOfOrder { at: Timestamp, last: Timestamp },
}

/// The history of one SLA clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    pub started_at: Timestamp,
    /// In order, non-overlapping; only the last may be open.
    pub pauses: Vec<Pause>,
    /// When the clock stopped (the response was sent, the conversation was
    /// resolved). A stopped clock never changes again.
    pub stopped_at: Option<Timestamp>,
}

/// Where a target stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Less than the warning share of the target used.
    Ok,
    /// At or past the warning threshold, before the target.
    Warning,
    /// The target is used up (elapsed ≥ target).
    Breached,
}

/// Everything the server needs about one clock and target at one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaEvaluation {
    pub status: SlaStatus,
    /// Business time counted so far (pauses excluded).
    pub elapsed_ms: i64,
    /// Target minus elapsed (negative once breached).
    pub remaining_ms: i64,
    /// When the warning threshold is / was reached; `None` if it cannot be
    /// reached without a change (the clock is paused or stopped before it).
    pub warning_at: Option<Timestamp>,
    /// When the target is / was used up; `None` likewise.
    pub due_at: Option<Timestamp>,
    /// The next instant after `now` at which `status` changes by itself:
    /// the one timer to set. `None` when paused, stopped or breached.
    pub next_event_at: Option<Timestamp>,
    pub paused: bool,
    pub stopped: bool,
}

impl SlaClock {
    /// A clock running from `at`.
    pub fn start(at: Timestamp) -> Self {
        Self {
            started_at: at,
            pauses: Vec::new(),
            stopped_at: None,
        }
    }

    /// The instant of the clock's latest change.
    fn last_change(&self) -> Timestamp {
        let p = self
            .pauses
            .last()
            .map(|p| p.to.unwrap_or(p.from))
            .unwrap_or(self.started_at);
        self.stopped_at.unwrap_or(p).max(p)
    }

    fn check(&self, at: Timestamp) -> Result<(), ClockError> {
        if self.stopped_at.is_some() {
            return Err(ClockError::Stopped);
        }
        let last = self.last_change();
        if at < last {
            return Err(ClockError::OutOfOrder { at, last });
        }
        Ok(())
    }

    pub fn is_paused(&self) -> bool {
        self.stopped_at.is_none() && self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped_at.is_some()
    }

    /// Pauses the clock (the conversation now waits on the customer).
    pub fn pause(&mut self, at: Timestamp) -> Result<(), ClockError> {
        self.check(at)?;
        if self.is_paused() {
            return Err(ClockError::AlreadyPaused);
        }
        self.pauses.push(Pause { from: at, to: None });
        Ok(())
    }

    /// Resumes a paused clock (the customer replied).
    pub fn resume(&mut self, at: Timestamp) -> Result<(), ClockError> {
        self.check(at)?;
        match self.pauses.last_mut() {
            Some(p) if p.to.is_none() => {
                p.to = Some(at);
                Ok(())
            }
            _ => Err(ClockError::NotPaused),
        }
    }

    /// Stops the clock for good (closing an open pause at the same instant).
    pub fn stop(&mut self, at: Timestamp) -> Result<(), ClockError> {
        self.check(at)?;
        if let Some(p) = self.pauses.last_mut()
            && p.to.is_none()
        {
            p.to = Some(at);
        }
        self.stopped_at = Some(at);
        Ok(())
    }

    /// The intervals during which the clock runs: `[a, b)` with `b = None`
    /// for the current, open-ended run.
    pub fn running_intervals(&self) -> Vec<(Timestamp, Option<Timestamp>)> {
        let mut out = Vec::with_capacity(self.pauses.len() + 1);
        let mut from = self.started_at;
        for p in &self.pauses {
            if p.from > from {
                out.push((from, Some(p.from)));
            }
            match p.to {
                Some(to) => from = from.max(to),
                None => return out,
            }
        }
        match self.stopped_at {
            Some(s) if s > from => out.push((from, Some(s))),
            Some(_) => {}
            None => out.push((from, None)),
        }
        out
    }

    /// Business time the clock has counted by `now` (pauses excluded).
    pub fn elapsed(&self, cal: &BusinessCalendar, now: Timestamp) -> i64 {
        self.running_intervals()
            .into_iter()
            .map(|(a, b)| cal.business_time_between(a, b.map_or(now, |b| b.min(now))))
            .sum()
    }

    /// The earliest instant at which the clock has counted `ms` of business
    /// time, past or future, given its history so far and assuming nothing
    /// changes (no further pause). `None` when the clock is paused or
    /// stopped before reaching it.
    pub fn instant_of(&self, cal: &BusinessCalendar, ms: i64) -> Option<Timestamp> {
        let mut remaining = ms.max(0);
        if remaining == 0 {
            return Some(self.started_at);
        }
        for (a, b) in self.running_intervals() {
            match b {
                Some(b) => {
                    let got = cal.business_time_between(a, b);
                    if got >= remaining {
                        return Some(cal.add_business_time(a, remaining));
                    }
                    remaining -= got;
                }
                None => return Some(cal.add_business_time(a, remaining)),
            }
        }
        None
    }

    /// The status of `target` on this clock at `now`, with the instants the
    /// server needs to schedule.
    pub fn evaluate(
        &self,
        cal: &BusinessCalendar,
        target: &Target,
        now: Timestamp,
    ) -> SlaEvaluation {
        let elapsed = self.elapsed(cal, now);
        let warn = target.warning_ms();
        let status = if elapsed >= target.duration_ms {
            SlaStatus::Breached
        } else if elapsed >= warn {
            SlaStatus::Warning
        } else {
            SlaStatus::Ok
        };
        let warning_at = self.instant_of(cal, warn);
        let due_at = self.instant_of(cal, target.duration_ms);
        let stopped = self.is_stopped();
        let paused = self.is_paused();
        let next_event_at = if stopped || paused {
            None
        } else {
            match status {
                SlaStatus::Ok => warning_at.filter(|t| *t > now).or(due_at),
                SlaStatus::Warning => due_at,
                SlaStatus::Breached => None,
            }
            .filter(|t| *t > now)
        };
        SlaEvaluation {
            status,
            elapsed_ms: elapsed,
            remaining_ms: target.duration_ms - elapsed,
            warning_at,
            due_at,
            next_event_at,
            paused,
            stopped,
        }
    }

    /// [`Self::evaluate`] at the clock's `now`.
    pub fn evaluate_with(
        &self,
        cal: &BusinessCalendar,
        target: &Target,
        clock: &impl Clock,
    ) -> SlaEvaluation {
        self.evaluate(cal, target, clock.now())
    }
}
