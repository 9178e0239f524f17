//! The figures of a report: the core's per-conversation facts summed up
//! for the total and for each group (docs/reports.md defines each one).

use super::window::Window;
use serde::Serialize;
use std::collections::BTreeMap;
use trustdesk_core::reports::{
    Basis, ConversationFacts, CsatSummary, GroupKey, Measurement, SlaOutcome, Summary,
};
use trustdesk_core::sla::SlaMetric;
use trustdesk_core::{Priority, Timestamp};

/// One set of figures (the total, or one group's).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Conversations opened in the period (after the filters).
    pub conversations: usize,
    pub first_response: Summary,
    pub next_response: Summary,
    pub resolution: Summary,
    pub sla: SlaFigures,
    pub csat: CsatFigures,
    pub bot: BotFigures,
    /// Conversations reopened at least once.
    pub reopened: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SlaFigures {
    pub first_response: Attainment,
    pub next_response: Attainment,
    pub resolution: Attainment,
}

/// Waits measured against a target: met, breached, met as a percentage.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Attainment {
    pub met: usize,
    pub breached: usize,
    pub attainment_percent: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CsatFigures {
    pub n: usize,
    pub mean_score: Option<f64>,
    /// Ratings of 4 or 5, as a percentage of all ratings.
    pub satisfied_percent: Option<f64>,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub distribution: [usize; 5],
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BotFigures {
    /// Conversations the bot answered before any person did.
    pub answered: usize,
    /// Of those, resolved without any person writing.
    pub resolved: usize,
    /// Of those, handed to a person.
    pub handed_off: usize,
    /// resolved / answered, as a percentage: the bot's deflection rate.
    pub deflection_percent: Option<f64>,
}

/// One group of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// The dimension's value (`unset` for none), as the API and CSV give it.
    pub key: String,
    /// What a person reads: an agent's or team's name, else the key.
    pub label: String,
    pub figures: Figures,
}

/// A whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub from: Timestamp,
    pub to: Timestamp,
    pub time_zone: String,
    pub group_by: Option<&'static str>,
    pub basis: &'static str,
    /// More conversations were opened in the period than one report reads
    /// (the oldest were counted); narrow the period.
    pub truncated: bool,
    pub total: Figures,
    pub groups: Vec<Group>,
}

fn percent(part: usize, all: usize) -> Option<f64> {
    (all > 0).then(|| part as f64 * 100.0 / all as f64)
}

impl Figures {
    /// The figures of `conversations` and of `measurements` (taken from
    /// them, or from a group). `has_target` tells whether the SLA policy
    /// sets a target for a priority and metric: waits without one are not
    /// counted in attainment.
    pub fn of(
        conversations: &[&ConversationFacts],
        measurements: &[&Measurement<'_>],
        basis: Basis,
        has_target: &dyn Fn(Priority, SlaMetric) -> bool,
    ) -> Self {
        let summary = |metric| {
            Summary::of(
                measurements
                    .iter()
                    .filter(|m| m.metric == metric)
                    .map(|m| m.elapsed.ms(basis)),
            )
        };
        let attainment = |metric| {
            let mut out = Attainment::default();
            for m in measurements
                .iter()
                .filter(|m| m.metric == metric && has_target(m.conversation.priority, metric))
            {
                match m.sla {
                    SlaOutcome::Met => out.met += 1,
                    SlaOutcome::Breached => out.breached += 1,
                }
            }
            out.attainment_percent = percent(out.met, out.met + out.breached);
            out
        };
        let scores: Vec<u8> = conversations
            .iter()
            .filter_map(|f| f.csat.as_ref().map(|c| c.score))
            .collect();
        let ratings = CsatSummary::of(scores.iter().copied());
        let mut distribution = [0; 5];
        for score in &scores {
            if let Some(slot) = distribution.get_mut(usize::from(*score).wrapping_sub(1)) {
                *slot += 1;
            }
        }
        let answered = conversations.iter().filter(|f| f.bot_answered).count();
        let resolved = conversations.iter().filter(|f| f.bot_resolved).count();
        Self {
            conversations: conversations.len(),
            first_response: summary(SlaMetric::FirstResponse),
            next_response: summary(SlaMetric::NextResponse),
            resolution: summary(SlaMetric::Resolution),
            sla: SlaFigures {
                first_response: attainment(SlaMetric::FirstResponse),
                next_response: attainment(SlaMetric::NextResponse),
                resolution: attainment(SlaMetric::Resolution),
            },
            csat: CsatFigures {
                n: ratings.n,
                mean_score: ratings.mean_score,
                satisfied_percent: ratings.satisfied_percent(),
                distribution,
            },
            bot: BotFigures {
                answered,
                resolved,
                handed_off: conversations
                    .iter()
                    .filter(|f| f.handed_off_from_bot)
                    .count(),
                deflection_percent: percent(resolved, answered),
            },
            reopened: conversations.iter().filter(|f| f.reopened()).count(),
        }
    }
}

/// The report of `facts` (the conversations the window selected), with
/// groups when the window asks for them. `label` names a group key for
/// people (agents and teams by name).
pub fn report(
    facts: &[ConversationFacts],
    window: &Window,
    truncated: bool,
    has_target: &dyn Fn(Priority, SlaMetric) -> bool,
    label: &dyn Fn(&GroupKey) -> String,
) -> Report {
    let measurements: Vec<Measurement<'_>> = facts.iter().flat_map(|f| f.measurements()).collect();
    let all_conversations: Vec<&ConversationFacts> = facts.iter().collect();
    let all_measurements: Vec<&Measurement<'_>> = measurements.iter().collect();
    let total = Figures::of(
        &all_conversations,
        &all_measurements,
        window.basis,
        has_target,
    );
    let mut groups = Vec::new();
    if let Some(dimension) = &window.dimension {
        type Parts<'a, 'b> = (Vec<&'a ConversationFacts>, Vec<&'b Measurement<'a>>);
        let mut parts: BTreeMap<GroupKey, Parts<'_, '_>> = BTreeMap::new();
        for f in facts {
            parts
                .entry(dimension.key_of_conversation(f))
                .or_default()
                .0
                .push(f);
        }
        for m in &measurements {
            parts.entry(dimension.key_of(m)).or_default().1.push(m);
        }
        groups = parts
            .into_iter()
            .map(|(key, (conversations, measurements))| Group {
                key: key.to_string(),
                label: label(&key),
                figures: Figures::of(&conversations, &measurements, window.basis, has_target),
            })
            .collect();
    }
    Report {
        from: window.from,
        to: window.to,
        time_zone: window.time_zone.clone(),
        group_by: window.group_by,
        basis: match window.basis {
            Basis::Calendar => "calendar",
            Basis::Business => "business",
        },
        truncated,
        total,
        groups,
    }
}
