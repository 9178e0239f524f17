//! Property tests of the SLA tracker (`trustdesk_core::sla::SlaTracker`):
//! random conversations (customer and agent messages, status changes, at
//! increasing times) folded in, then checked against the rules the
//! product promises: a paused or stopped clock never comes due, an agent
//! reply stops the response clocks, each warning and breach is announced
//! once, escalation rises one level per breach and never past urgent, the
//! next instant to look is never in the past, and the stored form
//! round-trips.

use proptest::prelude::*;
use trustdesk_core::event::{Actor, Event, EventKind, Visibility};
use trustdesk_core::guard::GuardedText;
use trustdesk_core::sla::{BusinessCalendar, SlaMetric, SlaPolicy, SlaTracker};
use trustdesk_core::{
    AgentId, ConversationId, ConversationStatus, CustomerId, Priority, Timestamp,
};

const MIN: i64 = 60_000;
const START: i64 = 1_767_225_600_000; // 2026-01-01 UTC

#[derive(Clone, Debug)]
enum Step {
    Customer,
    Agent,
    Status(ConversationStatus),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Customer),
        3 => Just(Step::Agent),
        2 => prop::sample::select(ConversationStatus::ALL.to_vec()).prop_map(Step::Status),
    ]
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(vec![
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ])
}

/// A conversation's events: each step after a gap of 0–90 minutes; status
/// changes always name the status they leave.
fn events(steps: &[(Step, i64)]) -> Vec<Event> {
    let conversation_id = ConversationId::new();
    let customer = CustomerId::new();
    let agent = AgentId::new();
    let mut status = ConversationStatus::Open;
    let mut at = START;
    let mut out = Vec::new();
    for (i, (step, gap)) in steps.iter().enumerate() {
        at += gap;
        let (actor, kind) = match step {
            Step::Customer => (
                Actor::Customer { id: customer },
                EventKind::Message {
                    body: GuardedText::new("hi"),
                },
            ),
            Step::Agent => (
                Actor::Agent {
                    id: agent,
                    name: "A".into(),
                },
                EventKind::Message {
                    body: GuardedText::new("hello"),
                },
            ),
            Step::Status(to) => {
                let from = status;
                status = *to;
                (
                    Actor::System,
                    EventKind::StatusChanged {
                        from,
                        to: *to,
                        snoozed_until: None,
                    },
                )
            }
        };
        out.push(Event {
            conversation_id,
            seq: i as i64 + 1,
            at: Timestamp(at),
            actor,
            visibility: Visibility::Public,
            client_msg_id: None,
            kind,
        });
    }
    out
}

fn folded(priority: Priority, events: &[Event]) -> SlaTracker {
    let mut tracker = SlaTracker::start(priority, Timestamp(START));
    for event in events {
        tracker.apply(event);
    }
    tracker
}

fn last_at(events: &[Event]) -> i64 {
    events.last().map_or(START, |e| e.at.0)
}

fn scenario() -> impl Strategy<Value = (Priority, Vec<(Step, i64)>, i64)> {
    (
        priority(),
        prop::collection::vec((step(), 0..90 * MIN), 0..24),
        0..48 * 60 * MIN,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Nothing is due on a clock that is paused or stopped; every clock
    /// that is due is running.
    #[test]
    fn only_running_clocks_come_due((p, steps, later) in scenario()) {
        let events = events(&steps);
        let tracker = folded(p, &events);
        let now = Timestamp(last_at(&events) + later);
        let due = tracker.due(&SlaPolicy::default(), &BusinessCalendar::always_open(), now);
        for (metric, _) in due.warnings.iter().chain(due.breaches.iter()) {
            let state = tracker
                .metrics()
                .into_iter()
                .find(|(m, _)| m == metric)
                .and_then(|(_, s)| s)
                .expect("a due metric has a clock");
            prop_assert!(!state.clock.is_paused() && !state.clock.is_stopped());
        }
        // After `pending` (as the last step) nothing runs.
        if let Some(Step::Status(ConversationStatus::Pending)) = steps.last().map(|(s, _)| s) {
            for (_, state) in tracker.metrics() {
                if let Some(state) = state {
                    prop_assert!(state.clock.is_paused() || state.clock.is_stopped());
                }
            }
        }
    }

    /// An agent reply stops the first and next response clocks.
    #[test]
    fn an_agent_reply_stops_the_response_clocks((p, mut steps, _) in scenario()) {
        steps.push((Step::Agent, MIN));
        let tracker = folded(p, &events(&steps));
        for (metric, state) in tracker.metrics() {
            if metric != SlaMetric::Resolution
                && let Some(state) = state
            {
                prop_assert!(state.clock.is_stopped(), "{metric:?} still runs");
            }
        }
    }

    /// Firing announces each warning and each breach of a metric once:
    /// firing again, at the same instant or later without a new event,
    /// never repeats one. (It may announce a different one: a breach
    /// raises the priority, whose tighter targets can put another metric
    /// in warning at once.)
    #[test]
    fn each_breach_and_warning_is_announced_once((p, steps, later) in scenario(), more in 0..48 * 60 * MIN) {
        let events = events(&steps);
        let mut tracker = folded(p, &events);
        let policy = SlaPolicy::default();
        let calendar = BusinessCalendar::always_open();
        let now = Timestamp(last_at(&events) + later);
        let mut warned: Vec<SlaMetric> = Vec::new();
        let mut breached: Vec<SlaMetric> = Vec::new();
        for at in [now, now, now.plus_millis(more)] {
            let firing = tracker.fire(&policy, &calendar, at);
            for (metric, _) in &firing.warnings {
                prop_assert!(!warned.contains(metric), "{metric:?} warned twice");
                warned.push(*metric);
            }
            for breach in &firing.breaches {
                prop_assert!(!breached.contains(&breach.metric), "{:?} breached twice", breach.metric);
                breached.push(breach.metric);
                // A breach counts as its warning too.
                warned.push(breach.metric);
            }
        }
    }

    /// Each breach raises the priority one level, in order, never past
    /// urgent; the tracker keeps the raised priority.
    #[test]
    fn escalation_rises_one_level_per_breach((p, steps, later) in scenario()) {
        let events = events(&steps);
        let mut tracker = folded(p, &events);
        let now = Timestamp(last_at(&events) + later);
        let firing = tracker.fire(&SlaPolicy::default(), &BusinessCalendar::always_open(), now);
        let rank = |p: Priority| Priority::ALL.iter().position(|x| *x == p).unwrap();
        let mut current = p;
        for breach in &firing.breaches {
            match breach.priority_change {
                Some((from, to)) => {
                    prop_assert_eq!(from, current);
                    prop_assert_eq!(rank(to), rank(from) + 1);
                    current = to;
                }
                None => prop_assert_eq!(current, Priority::Urgent),
            }
        }
        prop_assert_eq!(tracker.priority(), current);
    }

    /// The next instant to look is never before `now`, and when nothing is
    /// due the timer waits for it.
    #[test]
    fn the_next_timer_is_never_in_the_past((p, steps, later) in scenario()) {
        let events = events(&steps);
        let tracker = folded(p, &events);
        let policy = SlaPolicy::default();
        let calendar = BusinessCalendar::always_open();
        let now = Timestamp(last_at(&events) + later);
        let due = tracker.due(&policy, &calendar, now);
        if let Some(next) = due.next {
            prop_assert!(next >= now || !due.is_empty(), "next {next:?} before now {now:?}");
        }
        let timer = tracker.next_timer(&policy, &calendar, now);
        if due.is_empty() {
            prop_assert_eq!(timer, due.next);
        } else {
            prop_assert_eq!(timer, Some(now));
        }
    }

    /// The stored form (JSON in `sla_state`) reads back to the same state,
    /// which goes on to fold the same way.
    #[test]
    fn the_stored_state_round_trips((p, steps, _) in scenario(), split in 0usize..24) {
        let events = events(&steps);
        let split = split.min(events.len());
        let mut stored = folded(p, &events[..split]);
        let json = serde_json::to_string(&stored).unwrap();
        let mut loaded: SlaTracker = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&loaded, &stored);
        for event in &events[split..] {
            stored.apply(event);
            loaded.apply(event);
        }
        prop_assert_eq!(loaded, folded(p, &events));
    }
}

/// The stored format is the one the server wrote before the tracker moved
/// to core: an old row still loads.
#[test]
fn a_state_stored_by_the_previous_version_loads() {
    let tracker = SlaTracker::start(Priority::High, Timestamp(START));
    let value = serde_json::to_value(&tracker).unwrap();
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    for key in [
        "priority",
        "first_response",
        "next_response",
        "resolution",
        "agent_replied",
    ] {
        assert!(keys.contains(&key), "{key} missing from {value}");
    }
    let reread: SlaTracker = serde_json::from_value(value).unwrap();
    assert_eq!(reread, tracker);
}
