//! SLA over HTTP: the policy and business calendars (admin), the public
//! response-time commitments, and the test clock.

use crate::accounts::audit;
use crate::auth::{AdminAuth, SupervisorAuth};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::sla::worker::POLICY_KEY;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::sla::{BusinessCalendar, CalendarSpec, PriorityTargets, SlaPolicy};
use trustdesk_core::{Priority, Timestamp};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/sla/policy", get(get_policy).put(put_policy))
        .route("/v1/admin/calendars", get(list_calendars))
        .route(
            "/v1/admin/calendars/{name}",
            put(put_calendar).delete(delete_calendar),
        )
        .route("/v1/admin/clock/advance", post(advance_clock))
        .route("/v1/service/commitments", get(commitments))
}

/// The SLA policy in effect (supervisors).
#[utoipa::path(get, path = "/v1/admin/sla/policy", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorBody)))]
async fn get_policy(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(state.sla.policy()))
}

fn check_targets(name: &str, t: &PriorityTargets) -> ApiResult<()> {
    for (what, v) in [
        ("first_response_ms", t.first_response_ms),
        ("next_response_ms", t.next_response_ms),
        ("resolution_ms", t.resolution_ms),
    ] {
        if let Some(v) = v
            && !(1..=365 * 24 * 3_600_000).contains(&v)
        {
            return Err(ApiError::BadRequest(format!(
                "{name}.{what} must be between 1 ms and a year"
            )));
        }
    }
    Ok(())
}

/// Replaces the SLA policy (admins). Running clocks are measured against
/// the new targets from their next change on.
#[utoipa::path(put, path = "/v1/admin/sla/policy", tag = "admin", security(("bearer" = [])), request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn put_policy(
    State(state): State<AppState>,
    auth: AdminAuth,
    Json(policy): Json<SlaPolicy>,
) -> ApiResult<Json<SlaPolicy>> {
    if policy.name.trim().is_empty() || policy.name.chars().count() > 80 {
        return Err(ApiError::BadRequest("name must be 1–80 characters".into()));
    }
    if !(1..=100).contains(&policy.warning_percent) {
        return Err(ApiError::BadRequest("warning_percent must be 1–100".into()));
    }
    for p in Priority::ALL {
        check_targets(p.as_str(), policy.targets(*p))?;
    }
    if let Some(cal) = &policy.calendar
        && !state.sla.calendar_names().contains(cal)
    {
        return Err(ApiError::BadRequest(format!("no calendar named {cal:?}")));
    }
    let text = serde_json::to_string(&policy)
        .map_err(|e| ApiError::Internal(format!("encode policy: {e}")))?;
    state
        .store
        .put_setting(POLICY_KEY, &text, state.clock.now())
        .await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::SlaPolicySet,
        policy.name.clone(),
        serde_json::json!({}),
    )
    .await?;
    state.sla.set_policy(policy.clone());
    Ok(Json(policy))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarList {
    #[schema(value_type = Object)]
    calendars: BTreeMap<String, serde_json::Value>,
}

/// The business-hours calendars (supervisors).
#[utoipa::path(get, path = "/v1/admin/calendars", tag = "admin", security(("bearer" = [])), responses((status = 200, body = CalendarList)))]
async fn list_calendars(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
) -> ApiResult<Json<CalendarList>> {
    let calendars = state
        .store
        .list_calendars()
        .await?
        .into_iter()
        .map(|(name, spec)| {
            (
                name,
                serde_json::from_str(&spec).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    Ok(Json(CalendarList { calendars }))
}

fn calendar_name(raw: &str) -> ApiResult<String> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::BadRequest(
            "calendar names are 1–64 letters, digits, - or _".into(),
        ))
    }
}

/// Creates or replaces a business-hours calendar (admins): time zone,
/// weekly spans, holidays.
#[utoipa::path(put, path = "/v1/admin/calendars/{name}", tag = "admin", security(("bearer" = [])), params(("name" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn put_calendar(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(name): Path<String>,
    Json(spec): Json<CalendarSpec>,
) -> ApiResult<Json<CalendarSpec>> {
    let name = calendar_name(&name)?;
    let calendar = BusinessCalendar::from_spec(&spec)
        .map_err(|e| ApiError::BadRequest(format!("invalid calendar: {e}")))?;
    let text = serde_json::to_string(&spec)
        .map_err(|e| ApiError::Internal(format!("encode calendar: {e}")))?;
    state
        .store
        .put_calendar(&name, &text, state.clock.now())
        .await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::SlaCalendarSet,
        name.clone(),
        serde_json::json!({ "time_zone": &spec.time_zone }),
    )
    .await?;
    state.sla.set_calendar(&name, Some(calendar));
    Ok(Json(spec))
}

/// Deletes a calendar the policy does not use (admins).
#[utoipa::path(delete, path = "/v1/admin/calendars/{name}", tag = "admin", security(("bearer" = [])), params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn delete_calendar(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let name = calendar_name(&name).map_err(|_| ApiError::NotFound)?;
    if state.sla.policy().calendar.as_deref() == Some(name.as_str()) {
        return Err(ApiError::Conflict(
            "the SLA policy uses this calendar".into(),
        ));
    }
    state.store.delete_calendar(&name).await?;
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::SlaCalendarDeleted,
        name.clone(),
        serde_json::json!({}),
    )
    .await?;
    state.sla.set_calendar(&name, None);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    ms: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClockNow {
    #[schema(value_type = i64)]
    now: Timestamp,
    offset_ms: i64,
}

/// Moves the server clock forward (admins, only with
/// `clock.manual_control`; otherwise this route does not exist).
#[utoipa::path(post, path = "/v1/admin/clock/advance", tag = "admin", security(("bearer" = [])), request_body = Advance,
    responses((status = 200, body = ClockNow), (status = 404, body = crate::error::ErrorBody)))]
async fn advance_clock(
    State(state): State<AppState>,
    auth: AdminAuth,
    Json(req): Json<Advance>,
) -> ApiResult<Json<ClockNow>> {
    if !state.config.clock.manual_control {
        return Err(ApiError::NotFound);
    }
    if !(1..=366 * 24 * 3_600_000).contains(&req.ms) {
        return Err(ApiError::BadRequest(
            "ms must be between 1 and a year".into(),
        ));
    }
    let now = state.clock.advance(req.ms);
    audit::record(
        state.store.as_ref(),
        state.clock.now(),
        audit::actor_of(&auth.0),
        AuditAction::ClockAdvanced,
        req.ms.to_string(),
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(ClockNow {
        now,
        offset_ms: state.clock.offset_ms(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Commitments {
    policy: String,
    /// `24/7`, or the business-hours calendar the targets count in.
    hours: String,
    time_zone: Option<String>,
    commitments: Vec<Commitment>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Commitment {
    #[schema(value_type = String)]
    priority: Priority,
    first_response_ms: Option<i64>,
    next_response_ms: Option<i64>,
    resolution_ms: Option<i64>,
    /// True when the target counts business hours only.
    business_hours: bool,
}

/// The published response-time commitments, read from the SLA policy in
/// effect (public, for the service page).
#[utoipa::path(get, path = "/v1/service/commitments", tag = "routing", responses((status = 200, body = Commitments)))]
async fn commitments(State(state): State<AppState>) -> Json<Commitments> {
    let policy = state.sla.policy();
    let time_zone = policy
        .calendar
        .as_deref()
        .and_then(|c| state.sla.time_zone(c));
    let commitments = Priority::ALL
        .iter()
        .rev()
        .map(|p| {
            let t = policy.targets(*p);
            Commitment {
                priority: *p,
                first_response_ms: t.first_response_ms,
                next_response_ms: t.next_response_ms,
                resolution_ms: t.resolution_ms,
                business_hours: policy.uses_business_hours(*p),
            }
        })
        .collect();
    Json(Commitments {
        policy: policy.name.clone(),
        hours: policy.calendar.clone().unwrap_or_else(|| "24/7".into()),
        time_zone,
        commitments,
    })
}
