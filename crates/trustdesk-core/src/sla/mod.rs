//! SLA clock math: business-hours calendars, policies and clocks.
//!
//! * [`BusinessCalendar`]: time zone, weekly hours (overnight spans too),
//!   holidays; 24/7 by default. [`business_time_between`] and
//!   [`add_business_time`] are the two primitives, correct across DST.
//! * [`SlaPolicy`]: first/next response and resolution targets per
//!   priority, a warning threshold.
//! * [`SlaClock`]: start / pause / resume / stop; [`SlaClock::evaluate`]
//!   gives the status at `now` and the one instant at which to wake up.
//! * [`tracker::SlaTracker`]: a conversation's three clocks folded from
//!   its events, what is due at `now`, and what firing escalates.
//!
//! Nothing here reads the wall clock: `now` is an argument, or a [`Clock`].
//! The model is described in `docs/sla.md`.

mod calendar;
mod clock;
mod policy;
pub mod tracker;

pub use calendar::{
    BusinessCalendar, CalendarError, CalendarSpec, Span, add_business_time, business_time_between,
};
pub use clock::{Clock, ClockError, ManualClock, Pause, SlaClock, SlaEvaluation, SlaStatus};
pub use policy::{PriorityTargets, SlaMetric, SlaPolicy, Target};
pub use tracker::{Breach, Due, Firing, MetricState, SlaTracker};
