//! The SLA state of one conversation: its three clocks folded from the
//! conversation's events, what is due at `now`, and what firing means
//! (which warnings and breaches to announce, how far the priority rises).
//! The server's timer worker persists this state and does the IO around
//! it; every rule lives here.
//!
//! The clocks follow the events: first response and resolution start at
//! creation; an agent message stops the first/next response clocks; a
//! customer message after an agent reply starts the next response clock;
//! `pending` pauses every clock, leaving it resumes them; `resolved` and
//! `closed` stop them; a reopen starts a new resolution clock.

use super::{BusinessCalendar, SlaClock, SlaMetric, SlaPolicy, SlaStatus};
use crate::event::{Actor, Event, EventKind};
use crate::model::{Conversation, ConversationStatus, Priority};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One metric's clock and what was already announced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricState {
    pub clock: SlaClock,
    pub warned: bool,
    pub breached: bool,
}

impl MetricState {
    fn start(at: Timestamp) -> Self {
        Self {
            clock: SlaClock::start(at),
            warned: false,
            breached: false,
        }
    }

    fn running(&self) -> bool {
        !self.clock.is_stopped() && !self.clock.is_paused()
    }
}

/// The persisted SLA state of one conversation (stored as JSON: the field
/// names are part of the stored format).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaTracker {
    priority: Priority,
    first_response: Option<MetricState>,
    next_response: Option<MetricState>,
    resolution: Option<MetricState>,
    /// An agent has replied at least once.
    agent_replied: bool,
}

/// What the SLA says about a conversation at `now`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Due {
    /// Warnings to announce, with the instant the target runs out.
    pub warnings: Vec<(SlaMetric, Timestamp)>,
    /// Breaches to announce, with the instant the target ran out.
    pub breaches: Vec<(SlaMetric, Timestamp)>,
    /// The next instant at which something changes (a warning or breach
    /// comes due), if any clock is running.
    pub next: Option<Timestamp>,
}

impl Due {
    pub fn is_empty(&self) -> bool {
        self.warnings.is_empty() && self.breaches.is_empty()
    }
}

/// One breach as fired: announce it, and raise the priority when it says so.
#[derive(Clone, Debug, PartialEq)]
pub struct Breach {
    pub metric: SlaMetric,
    pub due_at: Timestamp,
    /// The escalation: one priority level up per breach, none above urgent.
    pub priority_change: Option<(Priority, Priority)>,
}

/// What firing the SLA timer at `now` does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Firing {
    pub warnings: Vec<(SlaMetric, Timestamp)>,
    pub breaches: Vec<Breach>,
}

/// One level up, none above urgent.
pub fn escalated(priority: Priority) -> Option<Priority> {
    match priority {
        Priority::Low => Some(Priority::Normal),
        Priority::Normal => Some(Priority::High),
        Priority::High => Some(Priority::Urgent),
        Priority::Urgent => None,
    }
}

impl SlaTracker {
    /// A new conversation's clocks: first response and resolution running
    /// from its creation.
    pub fn new(conversation: &Conversation) -> Self {
        Self::start(conversation.priority, conversation.created_at)
    }

    pub fn start(priority: Priority, at: Timestamp) -> Self {
        Self {
            priority,
            first_response: Some(MetricState::start(at)),
            next_response: None,
            resolution: Some(MetricState::start(at)),
            agent_replied: false,
        }
    }

    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// The conversation's priority changed (triage, an agent, escalation).
    pub fn set_priority(&mut self, priority: Priority) {
        self.priority = priority;
    }

    /// Each metric and its state, if its clock was ever started.
    pub fn metrics(&self) -> [(SlaMetric, Option<&MetricState>); 3] {
        [
            (SlaMetric::FirstResponse, self.first_response.as_ref()),
            (SlaMetric::NextResponse, self.next_response.as_ref()),
            (SlaMetric::Resolution, self.resolution.as_ref()),
        ]
    }

    fn metrics_mut(&mut self) -> [(SlaMetric, &mut Option<MetricState>); 3] {
        [
            (SlaMetric::FirstResponse, &mut self.first_response),
            (SlaMetric::NextResponse, &mut self.next_response),
            (SlaMetric::Resolution, &mut self.resolution),
        ]
    }

    fn metric_mut(&mut self, metric: SlaMetric) -> Option<&mut MetricState> {
        match metric {
            SlaMetric::FirstResponse => self.first_response.as_mut(),
            SlaMetric::NextResponse => self.next_response.as_mut(),
            SlaMetric::Resolution => self.resolution.as_mut(),
        }
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &Event) {
        let at = event.at;
        match (&event.actor, &event.kind) {
            (Actor::Agent { .. }, EventKind::Message { .. }) => {
                self.agent_replied = true;
                for m in [&mut self.first_response, &mut self.next_response]
                    .into_iter()
                    .flatten()
                {
                    let _ = m.clock.stop(at);
                }
            }
            (Actor::Customer { .. }, EventKind::Message { .. }) => {
                let waiting = self
                    .next_response
                    .as_ref()
                    .is_some_and(|m| !m.clock.is_stopped());
                if self.agent_replied && !waiting {
                    self.next_response = Some(MetricState::start(at));
                }
            }
            (_, EventKind::StatusChanged { from, to, .. }) => match to {
                ConversationStatus::Pending => {
                    for (_, m) in self.metrics_mut() {
                        if let Some(m) = m
                            && m.running()
                        {
                            let _ = m.clock.pause(at);
                        }
                    }
                }
                ConversationStatus::Resolved | ConversationStatus::Closed => {
                    for (_, m) in self.metrics_mut() {
                        if let Some(m) = m
                            && !m.clock.is_stopped()
                        {
                            let _ = m.clock.stop(at);
                        }
                    }
                }
                ConversationStatus::Open | ConversationStatus::Snoozed => {
                    if *from == ConversationStatus::Pending {
                        for (_, m) in self.metrics_mut() {
                            if let Some(m) = m
                                && m.clock.is_paused()
                            {
                                let _ = m.clock.resume(at);
                            }
                        }
                    }
                    if matches!(
                        from,
                        ConversationStatus::Resolved | ConversationStatus::Closed
                    ) {
                        self.resolution = Some(MetricState::start(at));
                    }
                }
            },
            _ => {}
        }
    }

    /// What is due at `now` under `policy`, counting time with `calendar`
    /// (the calendar of this conversation's priority).
    pub fn due(&self, policy: &SlaPolicy, calendar: &BusinessCalendar, now: Timestamp) -> Due {
        let mut due = Due::default();
        for (metric, m) in self.metrics() {
            let Some(m) = m else { continue };
            let Some(target) = policy.target(self.priority, metric) else {
                continue;
            };
            if !m.running() {
                continue;
            }
            let ev = m.clock.evaluate(calendar, &target, now);
            let due_at = ev.due_at.unwrap_or(now);
            match ev.status {
                SlaStatus::Breached => {
                    if !m.warned && target.warning_percent < 100 {
                        due.warnings.push((metric, due_at));
                    }
                    if !m.breached {
                        due.breaches.push((metric, due_at));
                    }
                }
                SlaStatus::Warning if !m.warned => due.warnings.push((metric, due_at)),
                _ => {}
            }
            if let Some(t) = ev.next_event_at {
                due.next = Some(due.next.map_or(t, |n: Timestamp| n.min(t)));
            }
        }
        due
    }

    /// When the SLA timer should next fire: at once when something is
    /// due, else at the next change, else never.
    pub fn next_timer(
        &self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let due = self.due(policy, calendar, now);
        if due.is_empty() { due.next } else { Some(now) }
    }

    /// Fires what is due at `now`: marks the warnings and breaches as
    /// announced (each is announced once) and escalates one priority level
    /// per breach. The caller announces what it returns.
    pub fn fire(
        &mut self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: Timestamp,
    ) -> Firing {
        let due = self.due(policy, calendar, now);
        let mut firing = Firing {
            warnings: due.warnings,
            breaches: Vec::new(),
        };
        for (metric, _) in &firing.warnings {
            if let Some(m) = self.metric_mut(*metric) {
                m.warned = true;
            }
        }
        for (metric, due_at) in due.breaches {
            if let Some(m) = self.metric_mut(metric) {
                m.breached = true;
                m.warned = true;
            }
            let priority_change = escalated(self.priority).map(|to| (self.priority, to));
            if let Some((_, to)) = priority_change {
                self.priority = to;
            }
            firing.breaches.push(Breach {
                metric,
                due_at,
                priority_change,
            });
        }
        firing
    }
}
