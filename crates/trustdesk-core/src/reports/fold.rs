//! [`facts`]: one conversation's event log folded into its reporting facts.
//!
//! The fold follows the same events the SLA tracker follows, with the
//! same pauses, but measures what a customer experiences rather than what
//! a timer enforces. Where the two differ it is on purpose, and
//! `docs/reports.md` says how:
//!
//! - a wait is for a *person*: the customer messages the bot answered are
//!   not waits; a wait starts with the next customer message (or with the
//!   handoff notice), so the bot's part of the conversation is not charged
//!   to the team as first response time;
//! - only a human agent's public message answers a wait: bot replies,
//!   system notices, notes, attachments and internal events never do;
//! - a customer message to a resolved conversation reopens it at once,
//!   without waiting for the status change that follows it.

use crate::event::{Actor, Event, EventKind, Visibility};
use crate::ids::AgentId;
use crate::model::{Conversation, ConversationStatus};
use crate::notice::NoticeCode;
use crate::sla::{BusinessCalendar, SlaMetric};
use crate::time::Timestamp;

use super::stopwatch::Stopwatch;
use super::{ConversationFacts, Csat, Resolution, Response, SlaOutcome};

/// Folds the events of `conversation` into its reporting facts, counting
/// business time with `calendar` (`BusinessCalendar::always_open()` for
/// 24/7: business time is then wall time minus pauses).
///
/// The events are taken in sequence order whatever order they come in;
/// events of other conversations are ignored. Any log, empty or odd,
/// gives facts: a duration is never negative and nothing panics.
pub fn facts(
    conversation: &Conversation,
    events: &[Event],
    calendar: &BusinessCalendar,
) -> ConversationFacts {
    let mut ordered: Vec<&Event> = events
        .iter()
        .filter(|e| e.conversation_id == conversation.id)
        .collect();
    ordered.sort_by_key(|e| e.seq);
    let mut fold = Fold::new(conversation, calendar);
    for event in ordered {
        fold.apply(event);
    }
    fold.finish()
}

struct Fold<'a> {
    calendar: &'a BusinessCalendar,
    facts: ConversationFacts,
    /// The status as the fold sees it (a customer message to a resolved
    /// conversation reopens it here before the status event says so).
    status: ConversationStatus,
    /// The customer has been waiting for a person since this watch began.
    waiting: Option<Stopwatch>,
    /// The resolution clock of the current opening; `None` once resolved.
    resolving: Option<Stopwatch>,
    /// The latest resolution (kept across a reopen until the next one).
    last_resolution: Option<Resolution>,
    /// A human agent has written publicly: the first response is over.
    human_replied: bool,
}

impl<'a> Fold<'a> {
    fn new(conversation: &Conversation, calendar: &'a BusinessCalendar) -> Self {
        Self {
            calendar,
            facts: ConversationFacts {
                conversation_id: conversation.id,
                channel: conversation.channel,
                category: conversation.category,
                language: conversation.language,
                team: conversation.team_id,
                priority: conversation.priority,
                opened_at: conversation.created_at,
                first_response: None,
                next_responses: Vec::new(),
                resolution: None,
                reopen_count: 0,
                bot_answered: false,
                handed_off_from_bot: false,
                bot_resolved: false,
                last_replying_agent: None,
                csat: None,
                sla_breaches: Vec::new(),
            },
            // A conversation starts open (the SLA tracker starts its
            // resolution clock at creation too).
            status: ConversationStatus::Open,
            waiting: None,
            resolving: Some(Stopwatch::start(conversation.created_at)),
            last_resolution: None,
            human_replied: false,
        }
    }

    fn apply(&mut self, event: &Event) {
        let at = event.at;
        let public = event.visibility == Visibility::Public;
        match (&event.actor, &event.kind) {
            (Actor::Customer { .. }, EventKind::Message { .. }) if public => {
                self.customer_wrote(at)
            }
            (Actor::Agent { id, .. }, EventKind::Message { .. }) if public => {
                self.agent_replied(*id, at)
            }
            (_, EventKind::BotReply { .. }) => self.bot_replied(),
            (_, EventKind::SystemNotice { code, .. })
                if NoticeCode::parse(code).is_some_and(NoticeCode::is_handoff) =>
            {
                self.handed_off(at)
            }
            (actor, EventKind::StatusChanged { from, to, .. }) => {
                let by = match actor {
                    Actor::Agent { id, .. } => Some(*id),
                    _ => None,
                };
                self.status_changed(*from, *to, by, at);
            }
            // A score outside 1–5 is not a rating; the last valid one
            // counts (a customer may change their mind).
            (_, EventKind::Rated { score, comment }) if (1..=5).contains(score) => {
                self.facts.csat = Some(Csat {
                    score: *score,
                    comment: comment.clone(),
                    at,
                });
            }
            (_, EventKind::SlaBreached { metric, due_at }) => {
                self.facts.sla_breaches.push((*metric, *due_at));
            }
            _ => {}
        }
    }

    fn customer_wrote(&mut self, at: Timestamp) {
        match self.status {
            // Closed is final: the server starts a new conversation for
            // the customer's next message, so nobody answers here.
            ConversationStatus::Closed => return,
            ConversationStatus::Resolved => {
                self.reopen(at);
                self.status = ConversationStatus::Open;
            }
            _ => {}
        }
        // Later messages of the same wait do not restart it: the customer
        // has waited since the first unanswered one.
        if self.waiting.is_none() {
            self.waiting = Some(Stopwatch::start(at));
        }
    }

    fn bot_replied(&mut self) {
        // Once a person has answered the bot is out of the conversation;
        // before that, its reply answers what the customer asked so far.
        if self.human_replied {
            return;
        }
        self.facts.bot_answered = true;
        self.waiting = None;
    }

    fn handed_off(&mut self, at: Timestamp) {
        if self.human_replied {
            return;
        }
        if self.facts.bot_answered {
            self.facts.handed_off_from_bot = true;
        }
        // The notice follows the customer message that asked for a
        // person, so the wait usually runs already; if not, it starts now.
        if self.waiting.is_none() {
            self.waiting = Some(Stopwatch::start(at));
        }
    }

    fn agent_replied(&mut self, agent: AgentId, at: Timestamp) {
        if let Some(wait) = self.waiting.take() {
            let response = Response {
                agent,
                waiting_since: wait.started_at(),
                answered_at: at,
                elapsed: wait.elapsed_until(at, self.calendar),
                sla: SlaOutcome::Met,
            };
            if self.human_replied {
                self.facts.next_responses.push(response);
            } else {
                self.facts.first_response = Some(response);
            }
        }
        if self.facts.bot_answered {
            self.facts.handed_off_from_bot = true;
        }
        self.human_replied = true;
        self.facts.last_replying_agent = Some(agent);
    }

    fn status_changed(
        &mut self,
        from: ConversationStatus,
        to: ConversationStatus,
        by: Option<AgentId>,
        at: Timestamp,
    ) {
        use ConversationStatus::*;
        let was = self.status;
        self.status = to;
        match to {
            // Waiting on the customer: every running clock pauses, as the
            // SLA tracker pauses them.
            Pending => self.running_watches().for_each(|w| w.pause(at)),
            Resolved | Closed => {
                if let Some(run) = self.resolving.take() {
                    self.last_resolution = Some(Resolution {
                        started_at: run.started_at(),
                        resolved_at: at,
                        resolved_by: by,
                        elapsed: run.elapsed_until(at, self.calendar),
                        sla: SlaOutcome::Met,
                    });
                }
                // A wait left when the conversation is resolved was never
                // answered ("thanks!" then resolve): it is not a response.
                self.waiting = None;
            }
            // Leaving pending resumes them (leaving it for snoozed too:
            // the tracker only pauses for pending).
            Open | Snoozed if from == Pending || was == Pending => {
                self.running_watches().for_each(|w| w.resume(at))
            }
            Open | Snoozed => {}
        }
        let was_finished = matches!(was, Resolved | Closed) || matches!(from, Resolved | Closed);
        if to.is_active() && was_finished && self.resolving.is_none() {
            self.reopen(at);
            if to == Pending {
                self.running_watches().for_each(|w| w.pause(at));
            }
        }
    }

    fn running_watches(&mut self) -> impl Iterator<Item = &mut Stopwatch> {
        self.waiting.iter_mut().chain(self.resolving.iter_mut())
    }

    fn reopen(&mut self, at: Timestamp) {
        self.facts.reopen_count += 1;
        self.resolving = Some(Stopwatch::start(at));
    }

    fn finish(mut self) -> ConversationFacts {
        // Still resolving at the end of the log: not resolved (a reopened
        // conversation's earlier resolution no longer counts).
        if self.resolving.is_none() {
            self.facts.resolution = self.last_resolution.take();
        }
        self.facts.bot_resolved =
            self.facts.resolution.is_some() && self.facts.bot_answered && !self.human_replied;
        attribute_breaches(&mut self.facts);
        self.facts
    }
}

/// Marks the waits the SLA tracker recorded a breach for. A breach is
/// matched by the instant its target ran out (`due_at`), which lies inside
/// the run of the clock that breached.
fn attribute_breaches(facts: &mut ConversationFacts) {
    let breaches = facts.sla_breaches.clone();
    for (metric, due_at) in breaches {
        match metric {
            // The tracker's first-response clock starts at creation, before
            // any bot exchange, so its breach can fall before our wait
            // began: there is one first response, and it is the breached one.
            SlaMetric::FirstResponse => {
                if let Some(r) = &mut facts.first_response {
                    r.sla = SlaOutcome::Breached;
                }
            }
            SlaMetric::NextResponse => {
                if let Some(r) = facts
                    .next_responses
                    .iter_mut()
                    .find(|r| r.waiting_since <= due_at && due_at <= r.answered_at)
                {
                    r.sla = SlaOutcome::Breached;
                }
            }
            SlaMetric::Resolution => {
                if let Some(r) = &mut facts.resolution
                    && r.started_at <= due_at
                    && due_at <= r.resolved_at
                {
                    r.sla = SlaOutcome::Breached;
                }
            }
        }
    }
}
