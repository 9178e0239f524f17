//! Business-hours calendars and the two clock functions everything else is
//! built on: business time between two instants, and the instant a given
//! amount of business time after a start.
//!
//! # Why jiff
//!
//! Time-zone math uses `jiff` with the `tzdb-bundle-always` feature: the
//! IANA database is compiled into the binary, so results are the same on
//! every machine (no system tzdata needed, none read at run time — the core
//! stays free of IO), and it exposes DST gaps and folds explicitly, so the
//! rule below is ours to choose rather than implied. Default features
//! are off (no system time zone, no zoneinfo directory, no logging); only
//! `std` and the bundled database are on. chrono + chrono-tz would also do,
//! but jiff is one crate with a smaller build and an explicit ambiguity API.
//!
//! # The model
//!
//! A calendar is a time zone, weekly opening spans per weekday (local wall
//! clock, minute precision) and holiday dates. A span whose end is not after
//! its start runs overnight into the next day (22:00–06:00 on Monday is
//! Monday 22:00 to Tuesday 06:00; 00:00–00:00 is a full day). A holiday
//! closes its whole local date, including the part of an overnight span
//! from the day before that falls on it.
//!
//! Open time is real elapsed time: a business hour across a DST change is
//! 60 real minutes, so a span 00:00–06:00 is 5 h on a spring-forward night
//! and 7 h on a fall-back night in Europe/Berlin. A span boundary that falls
//! in a DST gap means the end of the gap (02:30 on a night that jumps from
//! 02:00 to 03:00 means 03:00); one that falls in a repeated hour means its
//! first occurrence. (Not jiff's "compatible" rule, which moves a gap time
//! forward by the gap's length: it is not monotonic, and two adjacent spans
//! could then overlap and be counted twice.)

use crate::time::Timestamp;
use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Serialize};
use std::fmt;

const DAY_MIN: u16 = 24 * 60;
/// A search for business time gives up after this many days (a calendar
/// whose every open day is a holiday), returning the far future.
const MAX_SEARCH_DAYS: usize = 366 * 200;

/// One opening span of a weekday, in local minutes since midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// 0..1440.
    pub start_min: u16,
    /// 0..=1440. Not after `start_min` means the span ends on the next day.
    pub end_min: u16,
}

impl Span {
    /// A span from `sh:sm` to `eh:em` (24:00 allowed as an end).
    pub fn hm(sh: u16, sm: u16, eh: u16, em: u16) -> Self {
        Self {
            start_min: sh * 60 + sm,
            end_min: eh * 60 + em,
        }
    }

    /// The whole day.
    pub const FULL_DAY: Span = Span {
        start_min: 0,
        end_min: DAY_MIN,
    };

    /// Parses `"09:00-17:30"` or `"22:00-06:00"`.
    pub fn parse(s: &str) -> Result<Self, CalendarError> {
        let bad = || CalendarError::BadSpan(s.to_owned());
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let hm = |t: &str| -> Result<u16, CalendarError> {
            let (h, m) = t.trim().split_once(':').ok_or_else(bad)?;
            let h: u16 = h.parse().map_err(|_| bad())?;
            let m: u16 = m.parse().map_err(|_| bad())?;
            if m >= 60 || h * 60 + m > DAY_MIN {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let span = Span {
            start_min: hm(a)?,
            end_min: hm(b)?,
        };
        span.validate()?;
        Ok(span)
    }

    fn validate(&self) -> Result<(), CalendarError> {
        if self.start_min >= DAY_MIN || self.end_min > DAY_MIN {
            return Err(CalendarError::BadSpan(self.to_string()));
        }
        Ok(())
    }

    fn overnight(&self) -> bool {
        self.end_min <= self.start_min
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start_min / 60,
            self.start_min % 60,
            self.end_min / 60,
            self.end_min % 60
        )
    }
}

/// A calendar as configured (what the admin API and the store keep).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Opening spans per weekday, Monday first.
    pub weekly: [Vec<Span>; 7],
    /// Closed local dates, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error("bad opening span {0:?} (expected HH:MM-HH:MM)")]
    BadSpan(String),
    #[error("bad holiday date {0:?} (expected YYYY-MM-DD)")]
    BadHoliday(String),
    #[error("a business-hours calendar needs at least one opening span")]
    NeverOpen,
}

#[derive(Clone, Debug)]
struct Hours {
    tz: TimeZone,
    weekly: [Vec<Span>; 7],
    /// Sorted, deduplicated.
    holidays: Vec<Date>,
    spec: CalendarSpec,
}

/// A business-hours calendar, ready for computation. The default is 24/7.
#[derive(Clone, Debug, Default)]
pub struct BusinessCalendar {
    /// `None` = always open (24/7, time-zone independent).
    hours: Option<Box<Hours>>,
}

impl PartialEq for BusinessCalendar {
    fn eq(&self, other: &Self) -> bool {
        self.spec() == other.spec()
    }
}

impl BusinessCalendar {
    /// Open all the time: business time is wall time.
    pub fn always_open() -> Self {
        Self { hours: None }
    }

    /// Builds a calendar from its configuration.
    pub fn from_spec(spec: &CalendarSpec) -> Result<Self, CalendarError> {
        let tz = TimeZone::get(&spec.time_zone)
            .map_err(|_| CalendarError::UnknownTimeZone(spec.time_zone.clone()))?;
        for day in &spec.weekly {
            for span in day {
                span.validate()?;
            }
        }
        if spec.weekly.iter().all(|d| d.is_empty()) {
            return Err(CalendarError::NeverOpen);
        }
        let mut holidays = spec
            .holidays
            .iter()
            .map(|h| {
                h.parse::<Date>()
                    .map_err(|_| CalendarError::BadHoliday(h.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        holidays.sort();
        holidays.dedup();
        Ok(Self {
            hours: Some(Box::new(Hours {
                tz,
                weekly: spec.weekly.clone(),
                holidays,
                spec: spec.clone(),
            })),
        })
    }

    /// The configuration (`None` for 24/7).
    pub fn spec(&self) -> Option<&CalendarSpec> {
        self.hours.as_ref().map(|h| &h.spec)
    }

    pub fn is_always_open(&self) -> bool {
        self.hours.is_none()
    }

    /// Whether `t` is inside business hours.
    pub fn is_open(&self, t: Timestamp) -> bool {
        self.business_time_between(t, t.plus_millis(1)) == 1
    }

    /// Business milliseconds in `[start, end)`; 0 when `end <= start`.
    pub fn business_time_between(&self, start: Timestamp, end: Timestamp) -> i64 {
        if end <= start {
            return 0;
        }
        let Some(h) = &self.hours else {
            return end.0 - start.0;
        };
        let mut total: i64 = 0;
        h.walk(start.0, end.0, |a, b| {
            if a >= end.0 {
                return Walk::Stop;
            }
            total += b.min(end.0) - a;
            if b >= end.0 { Walk::Stop } else { Walk::Go }
        });
        total
    }

    /// The earliest instant `t >= start` with `ms` business milliseconds in
    /// `[start, t)`: the due time of a target of `ms` started at `start`.
    /// When the target is used up exactly at a closing time, that closing
    /// time (not the next opening). `ms <= 0` gives `start`.
    pub fn add_business_time(&self, start: Timestamp, ms: i64) -> Timestamp {
        if ms <= 0 {
            return start;
        }
        let Some(h) = &self.hours else {
            return start.plus_millis(ms);
        };
        let mut remaining = ms;
        let mut due = Timestamp(i64::MAX);
        h.walk(start.0, i64::MAX, |a, b| {
            let len = b - a;
            if len >= remaining {
                due = Timestamp(a + remaining);
                Walk::Stop
            } else {
                remaining -= len;
                Walk::Go
            }
        });
        due
    }

    /// The next instant at or after `t` at which the calendar is open (`t`
    /// itself when open; the far future if it never opens again).
    pub fn next_open(&self, t: Timestamp) -> Timestamp {
        let Some(h) = &self.hours else {
            return t;
        };
        let mut at = Timestamp(i64::MAX);
        h.walk(t.0, i64::MAX, |a, _| {
            at = Timestamp(a);
            Walk::Stop
        });
        at
    }
}

enum Walk {
    Go,
    Stop,
}

impl Hours {
    /// The UTC instant of local `minute` on date `d` (1440 = next midnight).
    /// A time in a DST gap maps to the end of the gap (the transition
    /// instant); a repeated time to its first occurrence. Unlike the
    /// "compatible" rule (which shifts a gap time forward by the gap's
    /// length), this mapping never decreases as local time increases, so
    /// local ranges that do not overlap never overlap in UTC.
    fn utc(&self, d: Date, minute: u16) -> Option<i64> {
        let (d, minute) = if minute >= DAY_MIN {
            (d.tomorrow().ok()?, minute - DAY_MIN)
        } else {
            (d, minute)
        };
        let dt = d.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        let amb = self.tz.to_ambiguous_timestamp(dt);
        let ts = match amb.offset() {
            AmbiguousOffset::Gap { .. } => {
                let before_gap = amb.earlier().ok()?;
                self.tz.following(before_gap).next()?.timestamp()
            }
            _ => amb.earlier().ok()?,
        };
        Some(ts.as_millisecond())
    }

    fn is_holiday(&self, d: Date) -> bool {
        self.holidays.binary_search(&d).is_ok()
    }

    /// Open local-minute ranges of date `d`, merged, within [0, 1440].
    fn local_ranges(&self, d: Date, prev: Date, out: &mut Vec<(u16, u16)>) {
        out.clear();
        if self.is_holiday(d) {
            return;
        }
        let wd = d.weekday().to_monday_zero_offset() as usize;
        let pwd = prev.weekday().to_monday_zero_offset() as usize;
        for s in &self.weekly[wd] {
            let end = if s.overnight() { DAY_MIN } else { s.end_min };
            out.push((s.start_min, end));
        }
        for s in &self.weekly[pwd] {
            if s.overnight() && s.end_min > 0 {
                out.push((0, s.end_min));
            }
        }
        out.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(out.len());
        for &(a, b) in out.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *out = merged;
    }

    /// Calls `f(a, b)` for each open UTC interval `[a, b)` (ms, non-empty,
    /// in order, non-overlapping) that ends after `from`, clipped to start
    /// no earlier than `from`, until `f` says stop.
    /// Stops by itself at the first local date that starts at or after
    /// `until`.
    fn walk(&self, from: i64, until: i64, mut f: impl FnMut(i64, i64) -> Walk) {
        let Ok(ts) = jiff::Timestamp::from_millisecond(from) else {
            return;
        };
        let Ok(mut d) = self.tz.to_datetime(ts).date().yesterday() else {
            return;
        };
        let mut ranges = Vec::with_capacity(4);
        for _ in 0..MAX_SEARCH_DAYS {
            let Ok(prev) = d.yesterday() else { return };
            match self.utc(d, 0) {
                Some(midnight) if midnight < until => {}
                _ => return,
            }
            self.local_ranges(d, prev, &mut ranges);
            for &(lo, hi) in &ranges {
                let (Some(a), Some(b)) = (self.utc(d, lo), self.utc(d, hi)) else {
                    return;
                };
                let a = a.max(from);
                if b > a
                    && let Walk::Stop = f(a, b)
                {
                    return;
                }
            }
            let Ok(next) = d.tomorrow() else { return };
            d = next;
        }
    }
}

/// Business milliseconds in `[start, end)` (free-function form).
pub fn business_time_between(cal: &BusinessCalendar, start: Timestamp, end: Timestamp) -> i64 {
    cal.business_time_between(start, end)
}

/// The instant `ms` business milliseconds after `start` (free-function form).
pub fn add_business_time(cal: &BusinessCalendar, start: Timestamp, ms: i64) -> Timestamp {
    cal.add_business_time(start, ms)
}
