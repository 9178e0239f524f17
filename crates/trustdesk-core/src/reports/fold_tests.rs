//! Tests of [`super::facts`]: hand-built conversation logs and the figures
//! worked out by hand in each test's comments.

use super::*;
use crate::event::{Actor, Event, EventKind, Visibility};
use crate::guard::GuardedText;
use crate::ids::{AgentId, ConversationId, CustomerId};
use crate::model::{Channel, Conversation, ConversationStatus, Priority};
use crate::notice::NoticeCode;
use crate::sla::{BusinessCalendar, CalendarSpec, SlaMetric, Span};
use crate::time::Timestamp;
use ConversationStatus::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
/// 2026-01-01T00:00:00Z: any instant will do for the 24/7 tests.
const T0: i64 = 1_767_225_600_000;

fn t(offset_ms: i64) -> Timestamp {
    Timestamp(T0 + offset_ms)
}

/// Local wall time in Europe/Berlin.
fn berlin(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
    let z = jiff::civil::date(y, mo, d)
        .at(h, mi, 0, 0)
        .in_tz("Europe/Berlin")
        .unwrap();
    Timestamp(z.timestamp().as_millisecond())
}

/// Monday to Friday, 09:00–17:00 in Berlin.
fn berlin_office() -> BusinessCalendar {
    let day = || vec![Span::hm(9, 0, 17, 0)];
    BusinessCalendar::from_spec(&CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        weekly: [day(), day(), day(), day(), day(), vec![], vec![]],
        holidays: vec![],
    })
    .unwrap()
}

/// A conversation's log written the way the server writes it: sequence
/// numbers in order, status changes naming the status they leave.
struct Log {
    conversation: Conversation,
    customer: CustomerId,
    events: Vec<Event>,
    status: ConversationStatus,
}

impl Log {
    fn opened_at(at: Timestamp) -> Self {
        let customer = CustomerId::new();
        Self {
            conversation: Conversation {
                id: ConversationId::new(),
                customer_id: customer,
                channel: Channel::Web,
                subject: None,
                category: None,
                language: None,
                priority: Priority::Normal,
                urgent: false,
                status: Open,
                assignee_id: None,
                team_id: None,
                snoozed_until: None,
                last_seq: 0,
                created_at: at,
                updated_at: at,
                labels: Vec::new(),
            },
            customer,
            events: Vec::new(),
            status: Open,
        }
    }

    fn push(&mut self, actor: Actor, kind: EventKind, at: Timestamp) -> &mut Self {
        self.events.push(Event {
            conversation_id: self.conversation.id,
            seq: self.events.len() as i64 + 1,
            at,
            actor,
            visibility: kind.visibility(),
            client_msg_id: None,
            kind,
        });
        self
    }

    fn customer(&mut self, at: Timestamp) -> &mut Self {
        let actor = Actor::Customer { id: self.customer };
        self.push(actor, message("my deposit is missing"), at)
    }

    fn agent(&mut self, agent: AgentId, at: Timestamp) -> &mut Self {
        self.push(agent_actor(agent), message("looking into it"), at)
    }

    fn bot(&mut self, at: Timestamp) -> &mut Self {
        let reply = EventKind::BotReply {
            text: "These articles may help".into(),
            articles: vec![],
            confidence: 0.8,
        };
        self.push(Actor::Bot, reply, at)
    }

    fn notice(&mut self, code: NoticeCode, at: Timestamp) -> &mut Self {
        let actor = if code == NoticeCode::BotResolved {
            Actor::Bot
        } else {
            Actor::System
        };
        self.push(actor, code.with_text("notice"), at)
    }

    fn note(&mut self, agent: AgentId, at: Timestamp) -> &mut Self {
        let note = EventKind::Note {
            body: "checking the chain".into(),
        };
        self.push(agent_actor(agent), note, at)
    }

    fn status(&mut self, actor: Actor, to: ConversationStatus, at: Timestamp) -> &mut Self {
        let from = self.status;
        self.status = to;
        let kind = EventKind::StatusChanged {
            from,
            to,
            snoozed_until: None,
        };
        self.push(actor, kind, at)
    }

    fn rated(&mut self, score: u8, comment: Option<&str>, at: Timestamp) -> &mut Self {
        let actor = Actor::Customer { id: self.customer };
        let kind = EventKind::Rated {
            score,
            comment: comment.map(GuardedText::new),
        };
        self.push(actor, kind, at)
    }

    fn breach(&mut self, metric: SlaMetric, due_at: Timestamp) -> &mut Self {
        self.push(
            Actor::System,
            EventKind::SlaBreached { metric, due_at },
            due_at,
        )
    }

    fn facts(&self) -> ConversationFacts {
        facts(
            &self.conversation,
            &self.events,
            &BusinessCalendar::always_open(),
        )
    }

    fn facts_with(&self, calendar: &BusinessCalendar) -> ConversationFacts {
        facts(&self.conversation, &self.events, calendar)
    }
}

fn message(text: &str) -> EventKind {
    EventKind::Message {
        body: GuardedText::new(text),
    }
}

fn agent_actor(id: AgentId) -> Actor {
    Actor::Agent {
        id,
        name: "Agent".into(),
    }
}

fn elapsed(calendar_ms: i64, business_ms: i64) -> Elapsed {
    Elapsed {
        calendar_ms,
        business_ms,
    }
}

#[test]
fn an_empty_log_has_no_figures() {
    let log = Log::opened_at(t(0));
    let f = log.facts();
    assert_eq!(f.first_response, None);
    assert!(f.next_responses.is_empty());
    assert_eq!(f.resolution, None);
    assert_eq!(f.reopen_count, 0);
    assert!(!f.bot_answered && !f.handed_off_from_bot && !f.bot_resolved);
    assert_eq!(f.csat, None);
    assert_eq!(f.opened_at, t(0));
    assert!(f.measurements().is_empty());
}

#[test]
fn first_response_runs_from_the_customer_message_to_the_agent_reply() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // 0: the question; the bot has nothing, so it hands off at once.
    // 30 min: the agent answers → first response 30 min.
    log.customer(t(0))
        .notice(NoticeCode::HandoffNoAnswer, t(0))
        .agent(a, t(30 * MIN));
    let f = log.facts();
    let first = f.first_response.unwrap();
    assert_eq!(first.agent, a);
    assert_eq!(first.waiting_since, t(0));
    assert_eq!(first.answered_at, t(30 * MIN));
    assert_eq!(first.elapsed, elapsed(30 * MIN, 30 * MIN));
    assert_eq!(first.sla, SlaOutcome::Met);
    // The bot never answered: not a handoff *from the bot*.
    assert!(!f.bot_answered && !f.handed_off_from_bot);
}

#[test]
fn bot_replies_notices_and_notes_are_not_responses() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // 0: question; 0: the bot answers it (no wait for a person yet).
    // 5 min: "that did not help" → the wait for a person starts here,
    //        and the handoff notice follows.
    // 6 min: a system notice, 7 min: the agent's internal note — neither
    //        answers the customer.
    // 12 min: the agent's public reply → first response 12 − 5 = 7 min.
    log.customer(t(0))
        .bot(t(0))
        .customer(t(5 * MIN))
        .notice(NoticeCode::HandoffNotHelped, t(5 * MIN))
        .notice(NoticeCode::AgentJoined, t(6 * MIN))
        .note(a, t(7 * MIN))
        .agent(a, t(12 * MIN));
    let f = log.facts();
    let first = f.first_response.unwrap();
    assert_eq!(first.waiting_since, t(5 * MIN));
    assert_eq!(first.elapsed, elapsed(7 * MIN, 7 * MIN));
    assert_eq!(first.agent, a);
    assert!(f.next_responses.is_empty());
    assert!(f.bot_answered && f.handed_off_from_bot && !f.bot_resolved);
}

#[test]
fn a_handoff_without_a_new_message_starts_the_wait_at_the_notice() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // The bot answered at 1 min; the handoff comes at 10 min with no new
    // customer message; the agent replies at 25 min → 15 min.
    log.customer(t(0))
        .bot(t(MIN))
        .notice(NoticeCode::HandoffRequested, t(10 * MIN))
        .agent(a, t(25 * MIN));
    let first = log.facts().first_response.unwrap();
    assert_eq!(first.waiting_since, t(10 * MIN));
    assert_eq!(first.elapsed.calendar_ms, 15 * MIN);
}

#[test]
fn an_agent_who_writes_first_answers_no_wait() {
    let (a, b) = (AgentId::new(), AgentId::new());
    let mut log = Log::opened_at(t(0));
    // No customer message before the agent's at 1 min: no first response.
    // The customer writes at 4 min, agent b replies at 6 min: a next
    // response of 2 min.
    log.agent(a, t(MIN))
        .customer(t(4 * MIN))
        .agent(b, t(6 * MIN));
    let f = log.facts();
    assert_eq!(f.first_response, None);
    assert_eq!(f.next_responses.len(), 1);
    assert_eq!(f.next_responses[0].agent, b);
    assert_eq!(f.next_responses[0].elapsed.calendar_ms, 2 * MIN);
}

#[test]
fn bot_answered_then_agent_stepped_in_without_a_customer_wait() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // The bot answered the only question; the agent follows up unasked:
    // a person was needed (handoff), but nobody waited for one.
    log.customer(t(0)).bot(t(0)).agent(a, t(20 * MIN));
    let f = log.facts();
    assert!(f.bot_answered && f.handed_off_from_bot);
    assert_eq!(f.first_response, None);
}

#[test]
fn next_responses_are_attributed_to_the_agent_who_replied() {
    let (a, b) = (AgentId::new(), AgentId::new());
    let mut log = Log::opened_at(t(0));
    // first: 0 → a at 10 min                    = 10 min, agent a
    // next:  40 min (and 45, same wait) → b 60  = 20 min, agent b
    // next:  70 min → a at 75 min               =  5 min, agent a
    log.customer(t(0))
        .agent(a, t(10 * MIN))
        .customer(t(40 * MIN))
        .customer(t(45 * MIN))
        .agent(b, t(60 * MIN))
        .customer(t(70 * MIN))
        .agent(a, t(75 * MIN));
    let f = log.facts();
    let first = f.first_response.as_ref().unwrap();
    assert_eq!((first.agent, first.elapsed.calendar_ms), (a, 10 * MIN));
    let next: Vec<(AgentId, Timestamp, i64)> = f
        .next_responses
        .iter()
        .map(|r| (r.agent, r.waiting_since, r.elapsed.calendar_ms))
        .collect();
    assert_eq!(
        next,
        vec![(b, t(40 * MIN), 20 * MIN), (a, t(70 * MIN), 5 * MIN)]
    );
    assert_eq!(f.last_replying_agent, Some(a));
    // Two agent messages in a row: the second answers no wait.
    log.agent(b, t(76 * MIN));
    assert_eq!(log.facts().next_responses.len(), 2);
}

#[test]
fn only_public_agent_messages_answer() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    log.customer(t(0));
    // A message event marked internal (the server never writes one, but
    // the fold must not count it) and an internal note: neither answers.
    log.push(agent_actor(a), message("internal"), t(MIN));
    if let Some(e) = log.events.last_mut() {
        e.visibility = Visibility::Internal;
    }
    log.note(a, t(2 * MIN)).agent(a, t(9 * MIN));
    assert_eq!(
        log.facts().first_response.unwrap().elapsed.calendar_ms,
        9 * MIN
    );
}

#[test]
fn bot_resolved_means_resolved_without_a_human_reply() {
    let mut log = Log::opened_at(t(0));
    // 0 question, 0 bot answer, 2 min "that helped", the bot resolves.
    log.customer(t(0))
        .bot(t(0))
        .customer(t(2 * MIN))
        .notice(NoticeCode::BotResolved, t(2 * MIN))
        .status(Actor::Bot, Resolved, t(2 * MIN));
    let f = log.facts();
    assert!(f.bot_resolved && f.bot_answered && !f.handed_off_from_bot);
    assert_eq!(f.first_response, None, "nobody waited for a person");
    let r = f.resolution.unwrap();
    assert_eq!(r.elapsed, elapsed(2 * MIN, 2 * MIN));
    assert_eq!(r.resolved_by, None);
}

#[test]
fn an_agent_resolution_is_attributed_and_not_bot_resolved() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    log.customer(t(0))
        .bot(t(0))
        .customer(t(MIN))
        .agent(a, t(3 * MIN))
        .status(agent_actor(a), Resolved, t(HOUR));
    let f = log.facts();
    assert!(!f.bot_resolved && f.handed_off_from_bot);
    let r = f.resolution.unwrap();
    assert_eq!((r.resolved_by, r.elapsed.calendar_ms), (Some(a), HOUR));
}

#[test]
fn a_reopen_restarts_the_resolution_and_the_last_one_counts() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // Opened 0, answered 10 min, resolved 1 h: resolution 1 h so far.
    log.customer(t(0))
        .agent(a, t(10 * MIN))
        .status(agent_actor(a), Resolved, t(HOUR));
    assert_eq!(log.facts().resolution.unwrap().elapsed.calendar_ms, HOUR);
    // 3 h: the customer writes again → reopened; the server's status
    // change follows. Not resolved any more: no resolution counts.
    log.customer(t(3 * HOUR))
        .status(Actor::System, Open, t(3 * HOUR));
    let f = log.facts();
    assert_eq!(f.resolution, None);
    assert_eq!(f.reopen_count, 1, "the status change is the same reopen");
    // 3 h 20: the agent answers (a next response of 20 min); 5 h: resolved
    // again → resolution 5 h − 3 h = 2 h, from the reopen.
    log.agent(a, t(3 * HOUR + 20 * MIN))
        .status(agent_actor(a), Resolved, t(5 * HOUR));
    let f = log.facts();
    let r = f.resolution.as_ref().unwrap();
    assert_eq!(r.started_at, t(3 * HOUR));
    assert_eq!(r.elapsed, elapsed(2 * HOUR, 2 * HOUR));
    assert!(f.reopened());
    assert_eq!(f.next_responses.len(), 1);
    assert_eq!(f.next_responses[0].elapsed.calendar_ms, 20 * MIN);
}

#[test]
fn a_status_change_back_to_open_is_a_reopen_too() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // Resolved at 1 h, reopened by the agent at 2 h, closed at 2 h 30:
    // resolution 30 min, one reopen. Closing a resolved conversation is
    // not a second resolution.
    log.customer(t(0))
        .agent(a, t(MIN))
        .status(agent_actor(a), Resolved, t(HOUR))
        .status(agent_actor(a), Open, t(2 * HOUR))
        .status(agent_actor(a), Closed, t(2 * HOUR + 30 * MIN))
        .status(Actor::System, Closed, t(3 * HOUR));
    let f = log.facts();
    assert_eq!(f.reopen_count, 1);
    let r = f.resolution.unwrap();
    assert_eq!(r.resolved_at, t(2 * HOUR + 30 * MIN));
    assert_eq!(r.elapsed.calendar_ms, 30 * MIN);
}

#[test]
fn closed_is_final_and_a_wait_left_at_resolution_is_no_response() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // "thanks!" at 20 min, resolved at 25 min without a reply: no next
    // response. After closing, a stray customer message starts nothing.
    log.customer(t(0))
        .agent(a, t(10 * MIN))
        .customer(t(20 * MIN))
        .status(agent_actor(a), Closed, t(25 * MIN))
        .customer(t(HOUR))
        .agent(a, t(2 * HOUR));
    let f = log.facts();
    assert!(f.next_responses.is_empty());
    assert_eq!(f.reopen_count, 0);
    assert_eq!(f.resolution.unwrap().elapsed.calendar_ms, 25 * MIN);
}

#[test]
fn pending_pauses_business_time_but_not_calendar_time() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // Question at 0; at 5 min the agent sets pending without replying;
    // the customer writes nothing, the agent sets it open again at 65 min
    // and answers at 70 min.
    // First response: calendar 70 min; business 70 − 60 paused = 10 min.
    log.customer(t(0))
        .status(agent_actor(a), Pending, t(5 * MIN))
        .status(agent_actor(a), Open, t(65 * MIN))
        .agent(a, t(70 * MIN));
    // Resolution: pending again 2 h → 4 h (the customer's message at 4 h
    // reopens to open), agent reply 4 h 30, resolved 5 h.
    // Calendar 5 h; business 5 h − 1 h (5–65 min) − 2 h (2 h–4 h) = 2 h.
    // The next response (4 h → 4 h 30) starts after the pause: 30 min both.
    log.status(agent_actor(a), Pending, t(2 * HOUR))
        .customer(t(4 * HOUR))
        .status(Actor::System, Open, t(4 * HOUR))
        .agent(a, t(4 * HOUR + 30 * MIN))
        .status(agent_actor(a), Resolved, t(5 * HOUR));
    let f = log.facts();
    assert_eq!(
        f.first_response.unwrap().elapsed,
        elapsed(70 * MIN, 10 * MIN)
    );
    assert_eq!(f.next_responses[0].elapsed, elapsed(30 * MIN, 30 * MIN));
    assert_eq!(f.resolution.unwrap().elapsed, elapsed(5 * HOUR, 2 * HOUR));
}

#[test]
fn snoozed_does_not_pause_as_the_sla_tracker_does_not() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // Snoozed 10 min → 50 min, resolved 1 h: business = calendar = 1 h.
    log.customer(t(0))
        .agent(a, t(MIN))
        .status(agent_actor(a), Snoozed, t(10 * MIN))
        .status(Actor::System, Open, t(50 * MIN))
        .status(agent_actor(a), Resolved, t(HOUR));
    assert_eq!(log.facts().resolution.unwrap().elapsed, elapsed(HOUR, HOUR));
}

#[test]
fn business_hours_skip_the_weekend() {
    let cal = berlin_office();
    let a = AgentId::new();
    // Friday 2026-11-20 16:30 → Monday 2026-11-23 09:45 (CET all along).
    // Calendar: Fri 16:30 → Mon 16:30 is 72 h, minus 6 h 45 = 65 h 15 min.
    // Business: Fri 16:30–17:00 (30 min) + Mon 09:00–09:45 (45 min) = 75 min.
    let mut log = Log::opened_at(berlin(2026, 11, 20, 16, 30));
    log.customer(berlin(2026, 11, 20, 16, 30))
        .agent(a, berlin(2026, 11, 23, 9, 45));
    let first = log.facts_with(&cal).first_response.unwrap();
    assert_eq!(first.elapsed, elapsed(65 * HOUR + 15 * MIN, 75 * MIN));
    // The same log counted 24/7: business = calendar.
    let first = log.facts().first_response.unwrap();
    assert_eq!(first.elapsed.business_ms, 65 * HOUR + 15 * MIN);
}

#[test]
fn business_hours_skip_the_night() {
    let cal = berlin_office();
    let a = AgentId::new();
    // Tuesday 2026-11-24 22:00 → Wednesday 09:10: calendar 11 h 10 min,
    // business 09:00–09:10 = 10 min.
    let mut log = Log::opened_at(berlin(2026, 11, 24, 21, 0));
    log.customer(berlin(2026, 11, 24, 22, 0))
        .agent(a, berlin(2026, 11, 25, 9, 10));
    let first = log.facts_with(&cal).first_response.unwrap();
    assert_eq!(first.elapsed, elapsed(11 * HOUR + 10 * MIN, 10 * MIN));
}

#[test]
fn business_hours_and_pauses_combine() {
    let cal = berlin_office();
    let a = AgentId::new();
    // Opened Monday 2026-11-23 10:00, pending 11:00–15:00, resolved
    // Tuesday 10:00. Calendar 24 h. Business: Mon 10–11 (1 h) + Mon 15–17
    // (2 h) + Tue 09–10 (1 h) = 4 h; the pause inside hours is not counted
    // and the night is closed anyway.
    let mut log = Log::opened_at(berlin(2026, 11, 23, 10, 0));
    log.customer(berlin(2026, 11, 23, 10, 0))
        .agent(a, berlin(2026, 11, 23, 10, 30))
        .status(agent_actor(a), Pending, berlin(2026, 11, 23, 11, 0))
        .status(agent_actor(a), Open, berlin(2026, 11, 23, 15, 0))
        .status(agent_actor(a), Resolved, berlin(2026, 11, 24, 10, 0));
    let f = log.facts_with(&cal);
    assert_eq!(f.resolution.unwrap().elapsed, elapsed(24 * HOUR, 4 * HOUR));
    assert_eq!(
        f.first_response.unwrap().elapsed,
        elapsed(30 * MIN, 30 * MIN)
    );
}

#[test]
fn csat_is_the_last_valid_rating() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    log.customer(t(0))
        .agent(a, t(MIN))
        .status(agent_actor(a), Resolved, t(2 * MIN))
        .rated(2, None, t(3 * MIN))
        .rated(4, Some("fast, thanks"), t(4 * MIN))
        // Not ratings: ignored, the 4 stands.
        .rated(0, None, t(5 * MIN))
        .rated(7, None, t(6 * MIN));
    let csat = log.facts().csat.unwrap();
    assert_eq!(csat.score, 4);
    assert_eq!(
        csat.comment.as_ref().map(|c| c.as_str()),
        Some("fast, thanks")
    );
    assert_eq!(csat.at, t(4 * MIN));
}

#[test]
fn recorded_breaches_mark_the_wait_they_fell_in() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // First response 0 → 2 h, breached (due at 1 h).
    // Next responses: 3 h → 3 h 10 (met), 4 h → 5 h (breached, due 4 h 30).
    // Resolution: the first run's breach (due 2 h 30, resolved 2 h 45)
    // does not count once reopened; the last run 4 h → 6 h is met.
    log.customer(t(0))
        .breach(SlaMetric::FirstResponse, t(HOUR))
        .agent(a, t(2 * HOUR))
        .breach(SlaMetric::Resolution, t(2 * HOUR + 30 * MIN))
        .status(agent_actor(a), Resolved, t(2 * HOUR + 45 * MIN))
        .customer(t(3 * HOUR))
        .agent(a, t(3 * HOUR + 10 * MIN))
        .customer(t(4 * HOUR))
        .breach(SlaMetric::NextResponse, t(4 * HOUR + 30 * MIN))
        .agent(a, t(5 * HOUR))
        .status(agent_actor(a), Resolved, t(6 * HOUR));
    let f = log.facts();
    assert_eq!(f.first_response.unwrap().sla, SlaOutcome::Breached);
    let next: Vec<SlaOutcome> = f.next_responses.iter().map(|r| r.sla).collect();
    assert_eq!(next, vec![SlaOutcome::Met, SlaOutcome::Breached]);
    assert_eq!(f.resolution.unwrap().sla, SlaOutcome::Met);
    assert_eq!(f.reopen_count, 1);
    assert_eq!(f.sla_breaches.len(), 3);
}

#[test]
fn events_are_folded_in_sequence_order_whatever_order_they_come_in() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    log.customer(t(0))
        .bot(t(0))
        .customer(t(5 * MIN))
        .agent(a, t(12 * MIN))
        .status(agent_actor(a), Resolved, t(HOUR));
    let ordered = log.facts();
    log.events.reverse();
    assert_eq!(log.facts(), ordered);
    assert_eq!(ordered.first_response.unwrap().elapsed.calendar_ms, 7 * MIN);
}

#[test]
fn time_going_backwards_measures_zero_not_a_negative_duration() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(HOUR));
    // Clock skew between nodes: the reply is stamped before the question,
    // and the resolution before the opening.
    log.customer(t(HOUR))
        .agent(a, t(HOUR - 5 * MIN))
        .status(agent_actor(a), Pending, t(10 * MIN))
        .status(agent_actor(a), Resolved, t(0));
    let f = log.facts_with(&berlin_office());
    assert_eq!(f.first_response.unwrap().elapsed, elapsed(0, 0));
    assert_eq!(f.resolution.unwrap().elapsed, elapsed(0, 0));
}

#[test]
fn events_of_another_conversation_are_ignored() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    log.customer(t(0)).agent(a, t(MIN));
    if let Some(e) = log.events.last_mut() {
        e.conversation_id = ConversationId::new();
    }
    assert_eq!(log.facts().first_response, None);
}

#[test]
fn odd_status_sequences_do_not_break_the_fold() {
    let a = AgentId::new();
    let mut log = Log::opened_at(t(0));
    // Pending twice, resolved twice, reopened straight to pending: the
    // new resolution run starts paused at 3 h and resumes at 4 h, so the
    // final run 3 h → 5 h counts 1 h of business time.
    log.customer(t(0))
        .status(agent_actor(a), Pending, t(MIN))
        .status(agent_actor(a), Pending, t(2 * MIN))
        .status(agent_actor(a), Resolved, t(HOUR))
        .status(agent_actor(a), Resolved, t(2 * HOUR))
        .status(agent_actor(a), Pending, t(3 * HOUR))
        .status(agent_actor(a), Open, t(4 * HOUR))
        .status(agent_actor(a), Resolved, t(5 * HOUR));
    let f = log.facts();
    assert_eq!(f.reopen_count, 1);
    assert_eq!(f.resolution.unwrap().elapsed, elapsed(2 * HOUR, HOUR));
    assert_eq!(f.first_response, None);
}
