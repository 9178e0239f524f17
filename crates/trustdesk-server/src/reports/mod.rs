//! Service-quality reports for supervisors and admins (`GET /v1/reports`,
//! `GET /v1/reports/export` as CSV) and the public live figures of the
//! service page (`GET /v1/service/live`).
//!
//! The figures are derived from the event log at read time by the core's
//! pure fold (`trustdesk_core::reports`): the log is written in the same
//! transaction as every message and status change, so a report can never
//! disagree with what happened, and a definition fixed in the core
//! applies to the past as well. Definitions: docs/reports.md.

pub(crate) mod csv;
mod figures;
pub(crate) mod live;
pub(crate) mod load;
mod window;

pub use figures::{Figures, Group, Report};
pub use window::{Filters, Period, ReportParams, Window};

use crate::auth::SupervisorAuth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use trustdesk_core::Timestamp;
use trustdesk_core::reports::GroupKey;

pub use live::LiveCache;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reports", get(show))
        .route("/v1/reports/export", get(export))
        .route("/v1/service/live", get(live::live))
}

/// An instant as RFC 3339 (UTC), for CSV cells.
pub(crate) fn iso(t: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.0)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Agents' and teams' names for group labels.
/// Every agent's display name, for labels.
pub(crate) async fn agent_names(
    state: &AppState,
) -> ApiResult<HashMap<trustdesk_core::AgentId, String>> {
    Ok(state
        .store
        .list_agents()
        .await?
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect())
}

async fn labels(state: &AppState) -> ApiResult<impl Fn(&GroupKey) -> String + use<>> {
    let agents = agent_names(state).await?;
    let teams: HashMap<_, _> = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(move |key: &GroupKey| match key {
        GroupKey::Agent(id) => agents.get(id).cloned().unwrap_or_else(|| key.to_string()),
        GroupKey::Team(id) => teams.get(id).cloned().unwrap_or_else(|| key.to_string()),
        _ => key.to_string(),
    })
}

async fn build(state: &AppState, window: &Window) -> ApiResult<Report> {
    let (facts, truncated) = load::facts(state, window).await?;
    let label = labels(state).await?;
    Ok(figures::report(
        &facts,
        window,
        truncated,
        &load::has_target(state),
        &label,
    ))
}

/// The report of the conversations opened in a period: volume, first
/// response, next response and resolution times (n, mean, median, p90),
/// SLA attainment, CSAT, the bot's deflection and reopens, in total and
/// per group.
#[utoipa::path(get, path = "/v1/reports", tag = "reports", security(("bearer" = [])), responses((status = 200, body = Object), (status = 400, description = "a bad period, time zone, grouping or filter")))]
pub(crate) async fn show(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    Query(params): Query<ReportParams>,
) -> ApiResult<Json<Report>> {
    let window = params.window(state.clock.now())?;
    Ok(Json(build(&state, &window).await?))
}

/// The same report as CSV: `rows=groups` (default; one row per group and
/// the total) or `rows=conversations` (one row per conversation).
#[utoipa::path(get, path = "/v1/reports/export", tag = "reports", security(("bearer" = [])), responses((status = 200, content_type = "text/csv", body = String)))]
pub(crate) async fn export(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    Query(params): Query<ReportParams>,
) -> ApiResult<Response> {
    let window = params.window(state.clock.now())?;
    let (name, body) = match params.rows.as_deref() {
        None | Some("") | Some("groups") => {
            let report = build(&state, &window).await?;
            ("report", csv::groups(&report))
        }
        Some("conversations") => {
            let (facts, _) = load::facts(&state, &window).await?;
            ("conversations", csv::conversations(&facts))
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "rows is groups or conversations".into(),
            ));
        }
    };
    let body = body.map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    let file = format!(
        "attachment; filename=\"trustdesk-{name}-{}.csv\"",
        iso(window.from).get(..10).unwrap_or("report")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        body,
    )
        .into_response())
}
