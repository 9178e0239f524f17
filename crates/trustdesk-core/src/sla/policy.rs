//! SLA policies: targets per priority and metric.

use crate::model::Priority;
use serde::{Deserialize, Serialize};

/// What an SLA target measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaMetric {
    /// From the conversation's creation (or entry into the queue) to the
    /// first reply of an agent.
    FirstResponse,
    /// From a customer message that follows an agent reply to the next reply.
    NextResponse,
    /// From creation to resolution.
    Resolution,
}

impl SlaMetric {
    pub const ALL: [SlaMetric; 3] = [Self::FirstResponse, Self::NextResponse, Self::Resolution];
}

/// One target: a business-time duration and its warning threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub duration_ms: i64,
    /// Share of the duration (0–100 %) after which the target is in
    /// warning. 100 means no separate warning.
    pub warning_percent: u8,
}

impl Target {
    pub fn new(duration_ms: i64, warning_percent: u8) -> Self {
        Self {
            duration_ms,
            warning_percent,
        }
    }

    /// The elapsed business time at which the warning starts.
    pub fn warning_ms(&self) -> i64 {
        let pct = i128::from(self.warning_percent.min(100));
        (i128::from(self.duration_ms.max(0)) * pct / 100) as i64
    }
}

/// The targets for one priority. `None` = no target for that metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityTargets {
    pub first_response_ms: Option<i64>,
    pub next_response_ms: Option<i64>,
    pub resolution_ms: Option<i64>,
    /// Count only business hours (the policy's calendar). `false` = 24/7
    /// whatever the calendar says (e.g. urgent security requests).
    pub business_hours: bool,
}

/// An SLA policy: targets per priority, one warning threshold, and the
/// name of the calendar to count business hours with (the server resolves
/// it; `None` = 24/7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub name: String,
    pub low: PriorityTargets,
    pub normal: PriorityTargets,
    pub high: PriorityTargets,
    pub urgent: PriorityTargets,
    /// Warning at this share of each target (default 80 %).
    pub warning_percent: u8,
    #[serde(default)]
    pub calendar: Option<String>,
}

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

impl Default for SlaPolicy {
    /// The crypto default: 24/7, minutes-level for urgent requests.
    fn default() -> Self {
        let t = |fr, nr, res, business_hours| PriorityTargets {
            first_response_ms: Some(fr),
            next_response_ms: Some(nr),
            resolution_ms: Some(res),
            business_hours,
        };
        Self {
            name: "default".into(),
            low: t(8 * HOUR, 8 * HOUR, 72 * HOUR, true),
            normal: t(HOUR, 2 * HOUR, 24 * HOUR, true),
            high: t(15 * MIN, 30 * MIN, 8 * HOUR, true),
            urgent: t(5 * MIN, 10 * MIN, 4 * HOUR, false),
            warning_percent: 80,
            calendar: None,
        }
    }
}

impl SlaPolicy {
    pub fn targets(&self, priority: Priority) -> &PriorityTargets {
        match priority {
            Priority::Low => &self.low,
            Priority::Normal => &self.normal,
            Priority::High => &self.high,
            Priority::Urgent => &self.urgent,
        }
    }

    /// The target for `metric` at `priority`, if the policy sets one.
    pub fn target(&self, priority: Priority, metric: SlaMetric) -> Option<Target> {
        let t = self.targets(priority);
        let d = match metric {
            SlaMetric::FirstResponse => t.first_response_ms,
            SlaMetric::NextResponse => t.next_response_ms,
            SlaMetric::Resolution => t.resolution_ms,
        }?;
        Some(Target::new(d, self.warning_percent))
    }

    /// Whether `priority` counts business hours only.
    pub fn uses_business_hours(&self, priority: Priority) -> bool {
        self.targets(priority).business_hours && self.calendar.is_some()
    }
}
