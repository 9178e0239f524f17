//! Grouping facts for reports: each conversation's measured waits
//! flattened into [`Measurement`]s, a [`Dimension`] that gives each one its
//! group, and the per-group figures.
//!
//! Which instant decides the period: a measurement counts in the period in
//! which it *ended* (the reply was sent, the conversation resolved), so a
//! past day's figures are final once the day is over instead of changing
//! as old conversations are answered. Conversation-level figures (volume,
//! CSAT, bot resolutions, reopens) count in the period the conversation
//! opened.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, TeamId};
use crate::model::{Category, Channel, Language};
use crate::sla::{CalendarError, SlaMetric};
use crate::time::Timestamp;

use super::{ConversationFacts, CsatSummary, Elapsed, SlaOutcome, Summary};

/// Which of the two values of a duration a report uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Wall-clock time.
    Calendar,
    /// Business hours, pauses excluded.
    Business,
}

impl Elapsed {
    pub fn ms(&self, basis: Basis) -> i64 {
        match basis {
            Basis::Calendar => self.calendar_ms,
            Basis::Business => self.business_ms,
        }
    }
}

/// One measured wait of one conversation, with what it can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measurement<'a> {
    /// First response, next response or resolution.
    pub metric: SlaMetric,
    pub conversation: &'a ConversationFacts,
    /// The agent who answered (a response) or resolved (a resolution);
    /// `None` for a resolution by the bot or by trustdesk.
    pub agent: Option<AgentId>,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub elapsed: Elapsed,
    pub sla: SlaOutcome,
}

impl ConversationFacts {
    /// The conversation's first response, next responses and resolution,
    /// in that order, as measurements.
    pub fn measurements(&self) -> Vec<Measurement<'_>> {
        let response = |metric, r: &super::Response| Measurement {
            metric,
            conversation: self,
            agent: Some(r.agent),
            started_at: r.waiting_since,
            ended_at: r.answered_at,
            elapsed: r.elapsed,
            sla: r.sla,
        };
        let first = self
            .first_response
            .iter()
            .map(|r| response(SlaMetric::FirstResponse, r));
        let next = self
            .next_responses
            .iter()
            .map(|r| response(SlaMetric::NextResponse, r));
        let resolution = self.resolution.iter().map(|r| Measurement {
            metric: SlaMetric::Resolution,
            conversation: self,
            agent: r.resolved_by,
            started_at: r.started_at,
            ended_at: r.resolved_at,
            elapsed: r.elapsed,
            sla: r.sla,
        });
        first.chain(next).chain(resolution).collect()
    }
}

/// The length of a reporting period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    Day,
    /// ISO weeks: Monday to Sunday.
    Week,
    Month,
}

/// Reporting periods in a time zone: the day, week or month an instant
/// falls in, on that zone's wall clock (a day in Asia/Shanghai is not a
/// UTC day). Uses the IANA database bundled with the core, as the
/// business calendars do; DST days are simply 23 or 25 hours long.
#[derive(Clone, Debug, PartialEq)]
pub struct Periods {
    unit: PeriodUnit,
    time_zone: TimeZone,
}

impl Periods {
    /// Periods in the IANA time zone `time_zone` (e.g. `Asia/Shanghai`).
    pub fn new(unit: PeriodUnit, time_zone: &str) -> Result<Self, CalendarError> {
        let time_zone = TimeZone::get(time_zone)
            .map_err(|_| CalendarError::UnknownTimeZone(time_zone.to_owned()))?;
        Ok(Self { unit, time_zone })
    }

    pub fn utc(unit: PeriodUnit) -> Self {
        Self {
            unit,
            time_zone: TimeZone::UTC,
        }
    }

    pub fn unit(&self) -> PeriodUnit {
        self.unit
    }

    /// The first local date of the period `t` falls in: the date itself,
    /// the Monday of its week, or the 1st of its month. `None` only for an
    /// instant outside the range the calendar can represent.
    pub fn start_of(&self, t: Timestamp) -> Option<Date> {
        let instant = jiff::Timestamp::from_millisecond(t.0).ok()?;
        let date = self.time_zone.to_datetime(instant).date();
        match self.unit {
            PeriodUnit::Day => Some(date),
            PeriodUnit::Week => {
                let back = date.weekday().to_monday_zero_offset();
                (0..back).try_fold(date, |d, _| d.yesterday().ok())
            }
            PeriodUnit::Month => Some(date.first_of_month()),
        }
    }
}

/// What to group by.
#[derive(Clone, Debug, PartialEq)]
pub enum Dimension {
    Category,
    Language,
    Channel,
    /// A measurement's agent; a conversation's last replying agent.
    Agent,
    /// The conversation's team (as its row holds it).
    Team,
    Period(Periods),
}

/// A group: one value of a dimension. `Unset` gathers what has no value
/// (not yet triaged, no team, resolved by the bot), so groups always add
/// up to the total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    Unset,
    Category(Category),
    Language(Language),
    Channel(Channel),
    Agent(AgentId),
    Team(TeamId),
    /// The first date of the period.
    Period(Date),
}

impl fmt::Display for GroupKey {
    /// The text a CSV export or a chart label shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupKey::Unset => f.write_str("unset"),
            GroupKey::Category(c) => c.fmt(f),
            GroupKey::Language(l) => l.fmt(f),
            GroupKey::Channel(c) => c.fmt(f),
            GroupKey::Agent(a) => a.fmt(f),
            GroupKey::Team(t) => t.fmt(f),
            GroupKey::Period(d) => d.fmt(f),
        }
    }
}

impl Dimension {
    /// The group of a measurement (its period: when it ended).
    pub fn key_of(&self, m: &Measurement<'_>) -> GroupKey {
        self.key(m.conversation, m.agent, m.ended_at)
    }

    /// The group of a conversation (its agent: the last one who replied;
    /// its period: when it opened).
    pub fn key_of_conversation(&self, facts: &ConversationFacts) -> GroupKey {
        self.key(facts, facts.last_replying_agent, facts.opened_at)
    }

    fn key(&self, facts: &ConversationFacts, agent: Option<AgentId>, at: Timestamp) -> GroupKey {
        let key = match self {
            Dimension::Category => facts.category.map(GroupKey::Category),
            Dimension::Language => facts.language.map(GroupKey::Language),
            Dimension::Channel => Some(GroupKey::Channel(facts.channel)),
            Dimension::Agent => agent.map(GroupKey::Agent),
            Dimension::Team => facts.team.map(GroupKey::Team),
            Dimension::Period(periods) => periods.start_of(at).map(GroupKey::Period),
        };
        key.unwrap_or(GroupKey::Unset)
    }
}

/// The [`Summary`] of one metric's durations per group, on `basis`.
/// Groups with no measurement of the metric are absent.
pub fn summarize_by(
    measurements: &[Measurement<'_>],
    metric: SlaMetric,
    basis: Basis,
    dimension: &Dimension,
) -> BTreeMap<GroupKey, Summary> {
    let mut groups: BTreeMap<GroupKey, Vec<i64>> = BTreeMap::new();
    for m in measurements.iter().filter(|m| m.metric == metric) {
        groups
            .entry(dimension.key_of(m))
            .or_default()
            .push(m.elapsed.ms(basis));
    }
    groups
        .into_iter()
        .map(|(key, durations)| (key, Summary::of(durations)))
        .collect()
}

/// How many measured waits met and breached their SLA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCount {
    pub met: usize,
    pub breached: usize,
}

impl SlaCount {
    /// Met as a share of all, 0–100 %; `None` when there is none.
    pub fn attainment_percent(&self) -> Option<f64> {
        let all = self.met + self.breached;
        (all > 0).then(|| self.met as f64 * 100.0 / all as f64)
    }
}

/// SLA outcomes of one metric per group.
pub fn sla_attainment_by(
    measurements: &[Measurement<'_>],
    metric: SlaMetric,
    dimension: &Dimension,
) -> BTreeMap<GroupKey, SlaCount> {
    let mut groups: BTreeMap<GroupKey, SlaCount> = BTreeMap::new();
    for m in measurements.iter().filter(|m| m.metric == metric) {
        let count = groups.entry(dimension.key_of(m)).or_default();
        match m.sla {
            SlaOutcome::Met => count.met += 1,
            SlaOutcome::Breached => count.breached += 1,
        }
    }
    groups
}

/// Conversations per group (volume, bot resolution and reopen rates are
/// counted over these).
pub fn group_conversations<'a>(
    facts: &'a [ConversationFacts],
    dimension: &Dimension,
) -> BTreeMap<GroupKey, Vec<&'a ConversationFacts>> {
    let mut groups: BTreeMap<GroupKey, Vec<&ConversationFacts>> = BTreeMap::new();
    for f in facts {
        groups
            .entry(dimension.key_of_conversation(f))
            .or_default()
            .push(f);
    }
    groups
}

/// CSAT per group of rated conversations.
pub fn csat_by(
    facts: &[ConversationFacts],
    dimension: &Dimension,
) -> BTreeMap<GroupKey, CsatSummary> {
    group_conversations(facts, dimension)
        .into_iter()
        .filter_map(|(key, group)| {
            let summary = CsatSummary::of(
                group
                    .iter()
                    .filter_map(|f| f.csat.as_ref())
                    .map(|c| c.score),
            );
            (summary.n > 0).then_some((key, summary))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ConversationId;
    use crate::model::Priority;
    use crate::reports::{Csat, Resolution, Response};

    const MIN: i64 = 60_000;
    /// 2026-11-22T17:00:00Z: Sunday in UTC, already Monday 01:00 in
    /// Asia/Shanghai (UTC+8).
    const SUNDAY_17_UTC: i64 = 1_795_366_800_000;

    fn utc(y: i16, mo: i8, d: i8, h: i8) -> Timestamp {
        let z = jiff::civil::date(y, mo, d)
            .at(h, 0, 0, 0)
            .in_tz("UTC")
            .unwrap();
        Timestamp(z.timestamp().as_millisecond())
    }

    fn response(agent: AgentId, at: Timestamp, ms: i64, sla: SlaOutcome) -> Response {
        Response {
            agent,
            waiting_since: Timestamp(at.0 - ms),
            answered_at: at,
            elapsed: Elapsed {
                calendar_ms: ms,
                business_ms: ms / 2,
            },
            sla,
        }
    }

    fn conversation(category: Option<Category>, first: Option<Response>) -> ConversationFacts {
        ConversationFacts {
            conversation_id: ConversationId::new(),
            channel: Channel::Web,
            category,
            language: Some(Language::Zh),
            team: None,
            priority: Priority::Normal,
            opened_at: utc(2026, 11, 23, 8),
            last_replying_agent: first.as_ref().map(|r| r.agent),
            first_response: first,
            next_responses: Vec::new(),
            resolution: None,
            reopen_count: 0,
            bot_answered: false,
            handed_off_from_bot: false,
            bot_resolved: false,
            csat: None,
            sla_breaches: Vec::new(),
        }
    }

    #[test]
    fn the_test_instant_is_what_its_name_says() {
        assert_eq!(Timestamp(SUNDAY_17_UTC), utc(2026, 11, 22, 17));
    }

    #[test]
    fn periods_follow_the_time_zone_wall_clock() {
        let sunday_evening_utc = Timestamp(SUNDAY_17_UTC);
        let day = |d| jiff::civil::date(2026, 11, d);
        let shanghai = |unit| Periods::new(unit, "Asia/Shanghai").unwrap();
        // Sunday 17:00 UTC = Monday 01:00 in Shanghai.
        assert_eq!(
            Periods::utc(PeriodUnit::Day).start_of(sunday_evening_utc),
            Some(day(22))
        );
        assert_eq!(
            shanghai(PeriodUnit::Day).start_of(sunday_evening_utc),
            Some(day(23))
        );
        // ISO weeks start on Monday: the UTC Sunday belongs to the week of
        // Monday the 16th, the Shanghai Monday starts its own week.
        assert_eq!(
            Periods::utc(PeriodUnit::Week).start_of(sunday_evening_utc),
            Some(day(16))
        );
        assert_eq!(
            shanghai(PeriodUnit::Week).start_of(sunday_evening_utc),
            Some(day(23))
        );
        // 2026-11-30 20:00 UTC is already 1 December in Shanghai.
        let month_end = utc(2026, 11, 30, 20);
        assert_eq!(
            Periods::utc(PeriodUnit::Month).start_of(month_end),
            Some(day(1))
        );
        assert_eq!(
            shanghai(PeriodUnit::Month).start_of(month_end),
            Some(jiff::civil::date(2026, 12, 1))
        );
        assert_eq!(
            Periods::new(PeriodUnit::Day, "Mars/Olympus"),
            Err(CalendarError::UnknownTimeZone("Mars/Olympus".into()))
        );
        // An instant outside jiff's range has no period and does not panic.
        assert_eq!(
            Periods::utc(PeriodUnit::Week).start_of(Timestamp(i64::MAX)),
            None
        );
    }

    #[test]
    fn first_response_by_category_agent_and_day() {
        let (a, b) = (AgentId::new(), AgentId::new());
        let monday = utc(2026, 11, 23, 10);
        let tuesday = utc(2026, 11, 24, 10);
        let facts = [
            // transfer: 10 min (a, Mon) and 30 min (b, Tue)
            conversation(
                Some(Category::Transfer),
                Some(response(a, monday, 10 * MIN, SlaOutcome::Met)),
            ),
            conversation(
                Some(Category::Transfer),
                Some(response(b, tuesday, 30 * MIN, SlaOutcome::Breached)),
            ),
            // security: 4 min (a, Mon)
            conversation(
                Some(Category::Security),
                Some(response(a, monday, 4 * MIN, SlaOutcome::Met)),
            ),
            // not triaged yet: 6 min (b, Tue)
            conversation(None, Some(response(b, tuesday, 6 * MIN, SlaOutcome::Met))),
            // never answered: no measurement at all
            conversation(Some(Category::Account), None),
        ];
        let measurements: Vec<Measurement<'_>> =
            facts.iter().flat_map(|f| f.measurements()).collect();
        assert_eq!(measurements.len(), 4);

        let fr = SlaMetric::FirstResponse;
        let by_category = summarize_by(&measurements, fr, Basis::Calendar, &Dimension::Category);
        // transfer [10, 30] min: mean = median = 20 min, p90 rank 2 → 30.
        let transfer = by_category[&GroupKey::Category(Category::Transfer)];
        assert_eq!(
            (
                transfer.n,
                transfer.mean_ms,
                transfer.median_ms,
                transfer.p90_ms
            ),
            (2, Some(20 * MIN), Some(20 * MIN), Some(30 * MIN))
        );
        assert_eq!(
            by_category[&GroupKey::Category(Category::Security)].median_ms,
            Some(4 * MIN)
        );
        assert_eq!(by_category[&GroupKey::Unset].median_ms, Some(6 * MIN));
        assert!(!by_category.contains_key(&GroupKey::Category(Category::Account)));

        // Business basis: the test responses count half their wall time.
        let business = summarize_by(&measurements, fr, Basis::Business, &Dimension::Category);
        assert_eq!(
            business[&GroupKey::Category(Category::Transfer)].mean_ms,
            Some(10 * MIN)
        );

        // agent a: [4, 10] → median 7 min; agent b: [6, 30] → median 18 min.
        let by_agent = summarize_by(&measurements, fr, Basis::Calendar, &Dimension::Agent);
        assert_eq!(by_agent[&GroupKey::Agent(a)].median_ms, Some(7 * MIN));
        assert_eq!(by_agent[&GroupKey::Agent(b)].median_ms, Some(18 * MIN));

        // Monday [10, 4] → mean 7 min; Tuesday [30, 6] → mean 18 min.
        let days = Dimension::Period(Periods::utc(PeriodUnit::Day));
        let by_day = summarize_by(&measurements, fr, Basis::Calendar, &days);
        let day = |d| GroupKey::Period(jiff::civil::date(2026, 11, d));
        assert_eq!(by_day[&day(23)].mean_ms, Some(7 * MIN));
        assert_eq!(by_day[&day(24)].mean_ms, Some(18 * MIN));
        assert_eq!(day(23).to_string(), "2026-11-23");

        // One breach among the two transfer responses: 50 % attainment.
        let sla = sla_attainment_by(&measurements, fr, &Dimension::Category);
        let transfer = sla[&GroupKey::Category(Category::Transfer)];
        assert_eq!((transfer.met, transfer.breached), (1, 1));
        assert_eq!(transfer.attainment_percent(), Some(50.0));
        assert_eq!(SlaCount::default().attainment_percent(), None);

        // Nothing measured: no groups.
        assert!(summarize_by(&[], fr, Basis::Calendar, &Dimension::Channel).is_empty());
    }

    #[test]
    fn measurements_carry_the_resolver_and_every_response() {
        let (a, b) = (AgentId::new(), AgentId::new());
        let at = utc(2026, 11, 23, 10);
        let mut f = conversation(None, Some(response(a, at, MIN, SlaOutcome::Met)));
        f.next_responses
            .push(response(b, utc(2026, 11, 23, 11), 2 * MIN, SlaOutcome::Met));
        f.resolution = Some(Resolution {
            started_at: f.opened_at,
            resolved_at: utc(2026, 11, 23, 12),
            resolved_by: None,
            elapsed: Elapsed::default(),
            sla: SlaOutcome::Met,
        });
        let m = f.measurements();
        let summary: Vec<(SlaMetric, Option<AgentId>)> =
            m.iter().map(|m| (m.metric, m.agent)).collect();
        assert_eq!(
            summary,
            vec![
                (SlaMetric::FirstResponse, Some(a)),
                (SlaMetric::NextResponse, Some(b)),
                (SlaMetric::Resolution, None),
            ]
        );
        // A bot resolution has no agent: grouped as unset.
        assert_eq!(Dimension::Agent.key_of(&m[2]), GroupKey::Unset);
        assert_eq!(
            Dimension::Channel.key_of(&m[2]),
            GroupKey::Channel(Channel::Web)
        );
        assert_eq!(Dimension::Team.key_of(&m[2]), GroupKey::Unset);
    }

    #[test]
    fn csat_by_the_last_replying_agent() {
        let (a, b) = (AgentId::new(), AgentId::new());
        let at = utc(2026, 11, 23, 10);
        let rated = |agent, score| {
            let mut f = conversation(None, Some(response(agent, at, MIN, SlaOutcome::Met)));
            f.csat = Some(Csat {
                score,
                comment: None,
                at,
            });
            f
        };
        // a: 5 and 3 → mean 4.0, 1 of 2 satisfied; b: 2 → mean 2.0, none;
        // the unrated conversation of b does not count.
        let facts = vec![
            rated(a, 5),
            rated(a, 3),
            rated(b, 2),
            conversation(None, Some(response(b, at, MIN, SlaOutcome::Met))),
        ];
        let by_agent = csat_by(&facts, &Dimension::Agent);
        let of_a = by_agent[&GroupKey::Agent(a)];
        assert_eq!((of_a.n, of_a.satisfied, of_a.mean_score), (2, 1, Some(4.0)));
        let of_b = by_agent[&GroupKey::Agent(b)];
        assert_eq!((of_b.n, of_b.satisfied, of_b.mean_score), (1, 0, Some(2.0)));
        // Volume counts every conversation, rated or not: b has two.
        let volume = group_conversations(&facts, &Dimension::Agent);
        assert_eq!(volume[&GroupKey::Agent(b)].len(), 2);
        // Conversations count in the period they opened (Monday 08:00 UTC).
        let weeks = Dimension::Period(Periods::utc(PeriodUnit::Week));
        let by_week = group_conversations(&facts, &weeks);
        assert_eq!(
            by_week.keys().copied().collect::<Vec<_>>(),
            vec![GroupKey::Period(jiff::civil::date(2026, 11, 23))]
        );
    }
}
