//! The CSV export of a report: its groups (or the total alone), or one row
//! per conversation. Only figures and identifiers: no customer text (a
//! CSAT comment stays in trustdesk), so nothing a customer wrote leaves in
//! a spreadsheet.

use super::figures::{Figures, Report};
use trustdesk_core::reports::{Basis, ConversationFacts};

pub(crate) fn write(rows: impl IntoIterator<Item = Vec<String>>) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(&row)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn percent(value: Option<f64>) -> String {
    opt(value.map(|v| format!("{v:.1}")))
}

const GROUP_HEADER: &[&str] = &[
    "group",
    "label",
    "conversations",
    "first_response_n",
    "first_response_mean_ms",
    "first_response_median_ms",
    "first_response_p90_ms",
    "next_response_n",
    "next_response_median_ms",
    "next_response_p90_ms",
    "resolution_n",
    "resolution_mean_ms",
    "resolution_median_ms",
    "resolution_p90_ms",
    "sla_first_response_percent",
    "sla_next_response_percent",
    "sla_resolution_percent",
    "csat_n",
    "csat_mean",
    "csat_satisfied_percent",
    "bot_answered",
    "bot_resolved",
    "bot_deflection_percent",
    "reopened",
];

fn group_row(key: &str, label: &str, f: &Figures) -> Vec<String> {
    vec![
        key.to_owned(),
        label.to_owned(),
        f.conversations.to_string(),
        f.first_response.n.to_string(),
        opt(f.first_response.mean_ms),
        opt(f.first_response.median_ms),
        opt(f.first_response.p90_ms),
        f.next_response.n.to_string(),
        opt(f.next_response.median_ms),
        opt(f.next_response.p90_ms),
        f.resolution.n.to_string(),
        opt(f.resolution.mean_ms),
        opt(f.resolution.median_ms),
        opt(f.resolution.p90_ms),
        percent(f.sla.first_response.attainment_percent),
        percent(f.sla.next_response.attainment_percent),
        percent(f.sla.resolution.attainment_percent),
        f.csat.n.to_string(),
        opt(f.csat.mean_score.map(|v| format!("{v:.2}"))),
        percent(f.csat.satisfied_percent),
        f.bot.answered.to_string(),
        f.bot.resolved.to_string(),
        percent(f.bot.deflection_percent),
        f.reopened.to_string(),
    ]
}

/// One row per group, then the total (durations on the report's basis).
pub fn groups(report: &Report) -> Result<String, csv::Error> {
    let header = std::iter::once(GROUP_HEADER.iter().map(|h| h.to_string()).collect());
    let groups = report
        .groups
        .iter()
        .map(|g| group_row(&g.key, &g.label, &g.figures));
    let total = std::iter::once(group_row("total", "total", &report.total));
    write(header.chain(groups).chain(total))
}

/// One row per conversation, both bases side by side.
pub fn conversations(facts: &[ConversationFacts]) -> Result<String, csv::Error> {
    let header = vec![
        "conversation_id",
        "opened_at",
        "channel",
        "category",
        "language",
        "priority",
        "team_id",
        "first_response_ms",
        "first_response_business_ms",
        "first_response_agent_id",
        "next_responses",
        "next_response_median_ms",
        "resolution_ms",
        "resolution_business_ms",
        "resolved_by",
        "reopen_count",
        "bot_answered",
        "handed_off_from_bot",
        "bot_resolved",
        "csat_score",
        "sla_breaches",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let rows = facts.iter().map(|f| {
        let next = trustdesk_core::reports::Summary::of(
            f.next_responses
                .iter()
                .map(|r| r.elapsed.ms(Basis::Calendar)),
        );
        vec![
            f.conversation_id.to_string(),
            crate::reports::iso(f.opened_at),
            f.channel.to_string(),
            opt(f.category),
            opt(f.language),
            f.priority.to_string(),
            opt(f.team),
            opt(f.first_response.as_ref().map(|r| r.elapsed.calendar_ms)),
            opt(f.first_response.as_ref().map(|r| r.elapsed.business_ms)),
            opt(f.first_response.as_ref().map(|r| r.agent)),
            f.next_responses.len().to_string(),
            opt(next.median_ms),
            opt(f.resolution.as_ref().map(|r| r.elapsed.calendar_ms)),
            opt(f.resolution.as_ref().map(|r| r.elapsed.business_ms)),
            opt(f.resolution.as_ref().and_then(|r| r.resolved_by)),
            f.reopen_count.to_string(),
            f.bot_answered.to_string(),
            f.handed_off_from_bot.to_string(),
            f.bot_resolved.to_string(),
            opt(f.csat.as_ref().map(|c| c.score)),
            f.sla_breaches.len().to_string(),
        ]
    });
    write(std::iter::once(header).chain(rows))
}
