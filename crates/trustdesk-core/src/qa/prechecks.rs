//! Automatic findings: what trustdesk already knows about a conversation
//! before a reviewer opens it, each pointing at the category to look at.
//!
//! Nothing here judges the agent. A redacted secret means the *customer*
//! pasted one; the finding asks the reviewer to check whether the agent
//! prompted it and handled it (told the customer it is unsafe, pointed to
//! the next step). The figures come from the reports' [`ConversationFacts`]
//! (SLA breaches, CSAT, reopens) so QA and the reports never disagree; only
//! the guard's notices are read from the events, since the facts do not
//! keep them, and outbound overrides come from the audit log (the caller
//! counts them).

use super::keys;
use super::sample::DEFAULT_LOW_CSAT_AT_MOST;
use super::scorecard::{ScoreCategory, Scorecard};
use crate::event::{Event, EventKind};
use crate::ids::ConversationId;
use crate::notice::NoticeCode;
use crate::reports::ConversationFacts;
use crate::sla::SlaMetric;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FindingKind {
    /// An agent sent past an outbound-guard warning (the guard thought the
    /// message asked for a secret), `count` times.
    GuardOverride { count: u32 },
    /// The secret guard removed a secret from a customer message.
    SecretRedacted,
    /// A customer message looked like it held a seed phrase.
    PossibleSecret,
    /// The SLA tracker recorded a missed target.
    SlaBreached { metric: SlaMetric },
    /// The customer rated the conversation `score` (at most 2 of 5).
    LowCsat { score: u8 },
    /// The conversation came back after being resolved, `count` times.
    Reopened { count: u32 },
}

/// One automatic finding.
///
/// JSON: the kind's fields beside `at` and `suggests`, e.g.
/// `{"type":"sla_breached","metric":"first_response","at":1767225600000,"suggests":"timeliness"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(flatten)]
    pub kind: FindingKind,
    /// When it happened, where known: the notice's time, the instant the
    /// SLA target ran out, the rating's time. Overrides and reopens have
    /// none (the facts keep a count only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// The key of the category a reviewer should look at (a key of the
    /// built-in card, see [`keys`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggests: Option<String>,
}

impl Finding {
    fn new(kind: FindingKind, at: Option<Timestamp>, suggests: Option<&str>) -> Self {
        Self {
            kind,
            at,
            suggests: suggests.map(str::to_owned),
        }
    }

    /// The suggested category on `card`, if the card has one by that key.
    pub fn suggestion_on<'a>(&self, card: &'a Scorecard) -> Option<&'a ScoreCategory> {
        self.suggests.as_deref().and_then(|k| card.category(k))
    }
}

/// The findings for one conversation, most serious first: guard overrides,
/// guard notices (in log order), SLA breaches (in log order), low CSAT,
/// reopens.
///
/// `overrides` is the number of `guard.override` audit entries of the
/// conversation. Low CSAT is a rating from 1 to
/// [`DEFAULT_LOW_CSAT_AT_MOST`], the same mark the sampling uses by
/// default. An SLA breach of any metric suggests `timeliness`; a reopen
/// suggests `resolution` (it was not really solved); low CSAT suggests
/// nothing: it says the customer was unhappy, not why, and the reviewer
/// reads their comment.
pub fn prechecks(facts: &ConversationFacts, events: &[Event], overrides: u32) -> Vec<Finding> {
    let mut found = Vec::new();
    if overrides > 0 {
        found.push(Finding::new(
            FindingKind::GuardOverride { count: overrides },
            None,
            Some(keys::NEVER_ASKED_FOR_SECRET),
        ));
    }
    for (event, code) in guard_notices(facts.conversation_id, events) {
        let kind = match code {
            NoticeCode::SecretRedacted => FindingKind::SecretRedacted,
            _ => FindingKind::PossibleSecret,
        };
        found.push(Finding::new(
            kind,
            Some(event.at),
            Some(keys::NEVER_ASKED_FOR_SECRET),
        ));
    }
    for (metric, due_at) in &facts.sla_breaches {
        found.push(Finding::new(
            FindingKind::SlaBreached { metric: *metric },
            Some(*due_at),
            Some(keys::TIMELINESS),
        ));
    }
    if let Some(csat) = &facts.csat
        && (1..=DEFAULT_LOW_CSAT_AT_MOST).contains(&csat.score)
    {
        found.push(Finding::new(
            FindingKind::LowCsat { score: csat.score },
            Some(csat.at),
            None,
        ));
    }
    if facts.reopen_count > 0 {
        found.push(Finding::new(
            FindingKind::Reopened {
                count: facts.reopen_count,
            },
            None,
            Some(keys::RESOLUTION),
        ));
    }
    found
}

/// How many secret-guard notices the conversation's log holds.
pub fn guard_hits(conversation_id: ConversationId, events: &[Event]) -> u32 {
    let n = guard_notices(conversation_id, events).len();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The `secret_redacted` and `possible_secret` notices of the conversation,
/// in sequence order (events of other conversations are ignored).
fn guard_notices(conversation_id: ConversationId, events: &[Event]) -> Vec<(&Event, NoticeCode)> {
    let mut hits: Vec<(&Event, NoticeCode)> = events
        .iter()
        .filter(|e| e.conversation_id == conversation_id)
        .filter_map(|e| match &e.kind {
            EventKind::SystemNotice { code, .. } => match NoticeCode::parse(code) {
                Some(c @ (NoticeCode::SecretRedacted | NoticeCode::PossibleSecret)) => Some((e, c)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    hits.sort_by_key(|(e, _)| e.seq);
    hits
}
