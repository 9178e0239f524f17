//! What a report covers and how it is cut, from the query string: the
//! period (conversations opened in it), the time zone, the grouping, the
//! basis of durations and the filters. Every input is checked here, so
//! the figures code sees only valid values.

use crate::error::ApiError;
use serde::Deserialize;
use std::str::FromStr;
use trustdesk_core::reports::{Basis, Dimension, PeriodUnit, Periods};
use trustdesk_core::{Category, Channel, Language, Priority, TeamId, Timestamp};

/// The longest period one report covers.
const MAX_SPAN_MS: i64 = 400 * 86_400_000;
/// The default period: the last 30 days.
const DEFAULT_SPAN_MS: i64 = 30 * 86_400_000;

/// The query string of the report routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// A date (`2026-11-01`, the start of that day in `tz`) or an RFC 3339
    /// instant. Default: 30 days before `to`.
    pub from: Option<String>,
    /// A date (included: the report runs to the end of that day in `tz`)
    /// or an RFC 3339 instant (excluded). Default: now.
    pub to: Option<String>,
    /// An IANA time zone for dates and day/week/month groups. Default UTC.
    pub tz: Option<String>,
    /// category, language, channel, agent, team, day, week or month.
    pub group_by: Option<String>,
    /// calendar (default) or business.
    pub basis: Option<String>,
    pub category: Option<String>,
    pub language: Option<String>,
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub team: Option<String>,
    /// For the CSV export: `groups` (default) or `conversations`.
    pub rows: Option<String>,
}

/// A period alone, as reports read it (`from`, `to`, `tz`): for the
/// lists that share the reports' notion of a period (QA, feedback).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct Period {
    /// A date or an RFC 3339 instant (default: 30 days before `to`).
    pub from: Option<String>,
    /// A date (included) or an RFC 3339 instant (excluded); default now.
    pub to: Option<String>,
    /// An IANA time zone for the dates (default UTC).
    pub tz: Option<String>,
}

impl Period {
    pub fn window(self, now: Timestamp) -> Result<Window, ApiError> {
        ReportParams {
            from: self.from,
            to: self.to,
            tz: self.tz,
            ..Default::default()
        }
        .window(now)
    }
}

/// Which conversations a report keeps (all `None`: every one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub category: Option<Category>,
    pub language: Option<Language>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    pub team: Option<TeamId>,
}

/// A checked report request.
#[derive(Clone, Debug)]
pub struct Window {
    pub from: Timestamp,
    pub to: Timestamp,
    pub time_zone: String,
    /// The name the request used (`None`: the total only).
    pub group_by: Option<&'static str>,
    pub dimension: Option<Dimension>,
    pub basis: Basis,
    pub filters: Filters,
}

fn bad(what: &str) -> ApiError {
    ApiError::BadRequest(what.to_owned())
}

fn parse_opt<T: FromStr>(value: &Option<String>, what: &str) -> Result<Option<T>, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<T>().map_err(|_| bad(what)))
        .transpose()
}

/// A `from`/`to` bound: a date in `tz` (its start, or for `to` the start
/// of the next day) or an instant.
fn bound(text: &str, tz: &jiff::tz::TimeZone, end: bool) -> Result<Timestamp, ApiError> {
    let invalid = || bad("from and to take a date (2026-11-30) or an RFC 3339 instant");
    let instant = if let Ok(date) = text.parse::<jiff::civil::Date>() {
        let day = if end {
            date.tomorrow().map_err(|_| invalid())?
        } else {
            date
        };
        day.to_zoned_datetime(tz.clone())
            .map_err(|_| invalid())?
            .timestamp()
    } else {
        text.parse::<jiff::Timestamp>().map_err(|_| invalid())?
    };
    Ok(Timestamp(instant.as_millisecond()))
}

impl ReportParams {
    /// Checks the request against `now`; a clear error for any bad value.
    pub fn window(&self, now: Timestamp) -> Result<Window, ApiError> {
        let time_zone = self.tz.clone().unwrap_or_else(|| "UTC".to_owned());
        let tz = jiff::tz::TimeZone::get(&time_zone)
            .map_err(|_| bad("tz must be an IANA time zone such as Asia/Shanghai"))?;
        let to = match self.to.as_deref() {
            Some(text) => bound(text, &tz, true)?,
            None => now,
        };
        let from = match self.from.as_deref() {
            Some(text) => bound(text, &tz, false)?,
            None => Timestamp(to.0 - DEFAULT_SPAN_MS),
        };
        if from.0 >= to.0 {
            return Err(bad("from must be before to"));
        }
        if to.0 - from.0 > MAX_SPAN_MS {
            return Err(bad("a report covers at most 400 days"));
        }
        let period =
            |unit| Periods::new(unit, &time_zone).map_err(|_| bad("tz must be an IANA time zone"));
        let (group_by, dimension) = match self.group_by.as_deref() {
            None | Some("") => (None, None),
            Some("category") => (Some("category"), Some(Dimension::Category)),
            Some("language") => (Some("language"), Some(Dimension::Language)),
            Some("channel") => (Some("channel"), Some(Dimension::Channel)),
            Some("agent") => (Some("agent"), Some(Dimension::Agent)),
            Some("team") => (Some("team"), Some(Dimension::Team)),
            Some("day") => (
                Some("day"),
                Some(Dimension::Period(period(PeriodUnit::Day)?)),
            ),
            Some("week") => (
                Some("week"),
                Some(Dimension::Period(period(PeriodUnit::Week)?)),
            ),
            Some("month") => (
                Some("month"),
                Some(Dimension::Period(period(PeriodUnit::Month)?)),
            ),
            Some(_) => {
                return Err(bad(
                    "group_by is one of category, language, channel, agent, team, day, week, month",
                ));
            }
        };
        let basis = match self.basis.as_deref() {
            None | Some("") | Some("calendar") => Basis::Calendar,
            Some("business") => Basis::Business,
            Some(_) => return Err(bad("basis is calendar or business")),
        };
        let filters = Filters {
            category: parse_opt(&self.category, "unknown category")?,
            language: parse_opt(&self.language, "unknown language")?,
            channel: parse_opt(&self.channel, "unknown channel")?,
            priority: parse_opt(&self.priority, "unknown priority")?,
            team: parse_opt(&self.team, "team must be a team id")?,
        };
        Ok(Window {
            from,
            to,
            time_zone,
            group_by,
            dimension,
            basis,
            filters,
        })
    }
}

impl Filters {
    pub fn keeps(&self, c: &trustdesk_core::Conversation) -> bool {
        self.category.is_none_or(|v| c.category == Some(v))
            && self.language.is_none_or(|v| c.language == Some(v))
            && self.channel.is_none_or(|v| c.channel == v)
            && self.priority.is_none_or(|v| c.priority == v)
            && self.team.is_none_or(|v| c.team_id == Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ReportParams {
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let uri: axum::http::Uri = format!("/v1/reports?{query}").parse().unwrap();
        axum::extract::Query::<ReportParams>::try_from_uri(&uri)
            .unwrap()
            .0
    }

    #[test]
    fn dates_are_whole_days_in_the_time_zone() {
        let w = params(&[
            ("from", "2026-11-01"),
            ("to", "2026-11-30"),
            ("tz", "Asia/Shanghai"),
        ])
        .window(Timestamp(0))
        .unwrap();
        // 2026-11-01T00:00+08:00 and 2026-12-01T00:00+08:00.
        assert_eq!(w.from, Timestamp(1_793_462_400_000));
        assert_eq!(w.to, Timestamp(1_796_054_400_000));
        assert_eq!(w.to.0 - w.from.0, 30 * 86_400_000);
    }

    #[test]
    fn instants_and_defaults() {
        let now = Timestamp(1_764_518_400_000);
        let w = params(&[]).window(now).unwrap();
        assert_eq!((w.from.0, w.to), (now.0 - DEFAULT_SPAN_MS, now));
        assert!(w.dimension.is_none());
        let w = params(&[
            ("from", "2026-11-01T10:00:00Z"),
            ("to", "2026-11-01T11:00:00Z"),
        ])
        .window(now)
        .unwrap();
        assert_eq!(w.to.0 - w.from.0, 3_600_000);
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let now = Timestamp(1_764_518_400_000);
        for (pairs, reason) in [
            (vec![("tz", "Mars/Olympus")], "tz"),
            (vec![("from", "yesterday")], "from and to"),
            (vec![("from", "2026-11-02"), ("to", "2026-11-01")], "before"),
            (
                vec![("from", "2020-01-01"), ("to", "2026-01-01")],
                "400 days",
            ),
            (vec![("group_by", "mood")], "group_by"),
            (vec![("basis", "lunar")], "basis"),
            (vec![("category", "lottery")], "category"),
            (vec![("team", "not-a-uuid")], "team"),
        ] {
            match params(&pairs).window(now) {
                Err(ApiError::BadRequest(text)) => assert!(text.contains(reason), "{text}"),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }
}
