//! Routing, SLA and lifecycle over HTTP: transfers and reminders for
//! agents, the queue view for supervisors, the admin API for routing
//! profiles, teams, the SLA policy and calendars, the customer's queue
//! position, and the public response-time commitments.

use crate::auth::{AgentAuth, CustomerAuth};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, conversation_id};
use crate::http::views::Posted;
use crate::services::audit;
use crate::services::conversations::Transfer;
use crate::services::routing::{Command, Snapshot};
use crate::services::timers::POLICY_KEY;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trustdesk_core::routing::Skills;
use trustdesk_core::sla::{BusinessCalendar, CalendarSpec, PriorityTargets, SlaPolicy};
use trustdesk_core::{AgentId, Category, Language, Priority, Role, Team, TeamId, Timestamp};
use trustdesk_store::RoutingProfile;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/conversations/{id}/transfer", post(transfer))
        .route("/v1/agent/conversations/{id}/reminders", post(remind))
        .route("/v1/agent/queue", get(queue))
        .route("/v1/widget/conversations/{id}/queue", get(my_queue))
        .route(
            "/v1/admin/agents/{id}/routing",
            get(get_routing).put(put_routing),
        )
        .route("/v1/admin/teams", post(create_team))
        .route("/v1/admin/sla/policy", get(get_policy).put(put_policy))
        .route("/v1/admin/calendars", get(list_calendars))
        .route(
            "/v1/admin/calendars/{name}",
            put(put_calendar).delete(delete_calendar),
        )
        .route("/v1/admin/clock/advance", post(advance_clock))
        .route("/v1/service/commitments", get(commitments))
}

fn require(auth: &AgentAuth, role: Role) -> ApiResult<()> {
    if auth.is_at_least(role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The agent who takes over.
    #[schema(value_type = Option<String>)]
    agent_id: Option<AgentId>,
    /// The team whose queue takes over (with `agent_id`: that agent, in
    /// that team).
    #[schema(value_type = Option<String>)]
    team_id: Option<TeamId>,
    /// Why (required; shown to the team, never to the customer).
    reason: String,
}

/// Transfers the conversation to an agent or a team, with a reason. Taking
/// a conversation from another agent needs a supervisor.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/transfer", tag = "routing", security(("bearer" = [])), params(("id" = String, Path)), request_body = TransferRequest,
    responses((status = 200, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn transfer(
    State(state): State<AppState>,
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<TransferRequest>,
) -> ApiResult<Json<Posted>> {
    let appended = state
        .conversations
        .transfer(
            &auth.0,
            conversation_id(&id)?,
            Transfer {
                to_agent: req.agent_id,
                to_team: req.team_id,
                reason: req.reason,
            },
        )
        .await?;
    Ok(Json(Posted {
        event: appended.event,
        duplicate: false,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderRequest {
    /// When (ms since the epoch); or give `in_ms`.
    #[schema(value_type = Option<i64>)]
    at: Option<Timestamp>,
    /// In how long, e.g. 86400000 for "check back in 24 h".
    in_ms: Option<i64>,
    note: String,
}

/// Sets a follow-up reminder: at that time a `reminder_due` event is
/// written and the agent gets a `notice` frame.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/reminders", tag = "routing", security(("bearer" = [])), params(("id" = String, Path)), request_body = ReminderRequest,
    responses((status = 201, body = Posted), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn remind(
    State(state): State<AppState>,
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<ReminderRequest>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let now = state.clock.now();
    let at = match (req.at, req.in_ms) {
        (Some(at), None) => at,
        (None, Some(ms)) if ms > 0 && ms <= 366 * 24 * 3_600_000 => now.plus_millis(ms),
        (None, Some(_)) => {
            return Err(ApiError::BadRequest(
                "in_ms must be between 1 ms and a year".into(),
            ));
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of at and in_ms".into(),
            ));
        }
    };
    let appended = state
        .conversations
        .set_reminder(&auth.0, conversation_id(&id)?, at, &req.note)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Posted {
            event: appended.event,
            duplicate: false,
        }),
    ))
}

/// The queue and the agents' presence and load (supervisors).
#[utoipa::path(get, path = "/v1/agent/queue", tag = "routing", security(("bearer" = [])), responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorBody)))]
async fn queue(State(state): State<AppState>, auth: AgentAuth) -> ApiResult<Json<Snapshot>> {
    require(&auth, Role::Supervisor)?;
    Ok(Json(state.routing.snapshot()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyQueue {
    #[schema(value_type = String)]
    conversation_id: trustdesk_core::ConversationId,
    /// False once an agent has it (or it is not waiting for one).
    queued: bool,
    position: Option<usize>,
    estimated_wait_ms: Option<i64>,
    /// `known` or `unknown` (no handling-time data or no agent available).
    estimate: &'static str,
}

/// The customer's place in the queue and the estimated wait.
#[utoipa::path(get, path = "/v1/widget/conversations/{id}/queue", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MyQueue), (status = 404, body = crate::error::ErrorBody)))]
async fn my_queue(
    State(state): State<AppState>,
    auth: CustomerAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<MyQueue>> {
    let conversation = state
        .conversations
        .visible(&auth.0, conversation_id(&id)?)
        .await?;
    let info = state.routing.queue_info(conversation.id);
    let estimated_wait_ms = info.as_ref().and_then(|i| i.estimated_wait_ms);
    Ok(Json(MyQueue {
        conversation_id: conversation.id,
        queued: info.is_some(),
        position: info.as_ref().map(|i| i.position),
        estimated_wait_ms,
        estimate: if estimated_wait_ms.is_some() {
            "known"
        } else {
            "unknown"
        },
    }))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingBody {
    /// Proficiency per category, 0–3 (0 or absent: no skill).
    #[schema(value_type = Object, example = json!({"transfer": 3, "account": 2}))]
    skills: BTreeMap<Category, u8>,
    /// Most concurrent conversations (0–100; 0 = never routed to).
    capacity: u32,
    /// Languages the agent answers in (replaces the list when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    languages: Option<Vec<Language>>,
    /// The agent's team; `null` removes it, absent leaves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    team_id: Option<serde_json::Value>,
}

fn agent_path(raw: &str) -> ApiResult<AgentId> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// An agent's routing profile: skills, capacity, languages, team.
#[utoipa::path(get, path = "/v1/admin/agents/{id}/routing", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RoutingBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn get_routing(
    State(state): State<AppState>,
    auth: AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<RoutingBody>> {
    require(&auth, Role::Supervisor)?;
    let id = agent_path(&id)?;
    let agent = state.store.get_agent(id).await?;
    let profile = state
        .store
        .routing_profiles()
        .await?
        .into_iter()
        .find(|p| p.agent_id == id);
    let (skills, capacity) = profile.map_or((Skills::NONE, 0), |p| (p.skills, p.capacity));
    Ok(Json(RoutingBody {
        skills: Category::ALL
            .iter()
            .filter(|c| skills.get(**c) > 0)
            .map(|c| (*c, skills.get(*c)))
            .collect(),
        capacity,
        languages: Some(agent.languages),
        team_id: Some(
            agent
                .team_id
                .map_or(serde_json::Value::Null, |t| t.to_string().into()),
        ),
    }))
}

/// Sets an agent's routing profile (admins). The router uses it at once.
#[utoipa::path(put, path = "/v1/admin/agents/{id}/routing", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = RoutingBody,
    responses((status = 200, body = RoutingBody), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn put_routing(
    State(state): State<AppState>,
    auth: AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<RoutingBody>,
) -> ApiResult<Json<RoutingBody>> {
    require(&auth, Role::Admin)?;
    let id = agent_path(&id)?;
    if req.capacity > 100 {
        return Err(ApiError::BadRequest("capacity must be 0–100".into()));
    }
    if let Some((c, p)) = req.skills.iter().find(|(_, p)| **p > 3) {
        return Err(ApiError::BadRequest(format!(
            "proficiency for {c} must be 0–3, got {p}"
        )));
    }
    if let Some(langs) = &req.languages
        && langs.is_empty()
    {
        return Err(ApiError::BadRequest(
            "languages must name at least one language".into(),
        ));
    }
    let team = match &req.team_id {
        None => None,
        Some(serde_json::Value::Null) => Some(None),
        Some(serde_json::Value::String(s)) => {
            let team: TeamId = s
                .parse()
                .map_err(|_| ApiError::BadRequest("no such team".into()))?;
            if !state.store.list_teams().await?.iter().any(|t| t.id == team) {
                return Err(ApiError::BadRequest("no such team".into()));
            }
            Some(Some(team))
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "team_id must be a team id or null".into(),
            ));
        }
    };
    let profile = RoutingProfile {
        agent_id: id,
        skills: Skills::from_pairs(req.skills.iter().map(|(c, p)| (*c, *p))),
        capacity: req.capacity,
        updated_at: state.clock.now(),
    };
    state
        .store
        .set_routing_profile(&profile, req.languages.clone(), team)
        .await?;
    audit::record(
        state.store.as_ref(),
        audit::actor_of(&auth.0),
        "routing.profile",
        id.to_string(),
        serde_json::json!({ "skills": &req.skills, "capacity": req.capacity, "languages": &req.languages }),
    )
    .await?;
    state.routing.send(Command::ProfilesChanged);
    get_routing(State(state), auth, Path(id.to_string())).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    name: String,
}

/// Creates a team (admins).
#[utoipa::path(post, path = "/v1/admin/teams", tag = "admin", security(("bearer" = [])), request_body = NewTeam,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    auth: AgentAuth,
    Json(req): Json<NewTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    require(&auth, Role::Admin)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::BadRequest(
            "team name must be 1–80 characters".into(),
        ));
    }
    let team = Team {
        id: TeamId::new(),
        name: name.to_owned(),
        created_at: state.clock.now(),
    };
    state.store.create_team(&team).await.map_err(|e| match e {
        trustdesk_store::StoreError::Conflict(_) => {
            ApiError::Conflict("a team with that name exists".into())
        }
        other => other.into(),
    })?;
    audit::record(
        state.store.as_ref(),
        audit::actor_of(&auth.0),
        "team.create",
        team.id.to_string(),
        serde_json::json!({ "name": &team.name }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// The SLA policy in effect (supervisors).
#[utoipa::path(get, path = "/v1/admin/sla/policy", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorBody)))]
async fn get_policy(State(state): State<AppState>, auth: AgentAuth) -> ApiResult<Json<SlaPolicy>> {
    require(&auth, Role::Supervisor)?;
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
    auth: AgentAuth,
    Json(policy): Json<SlaPolicy>,
) -> ApiResult<Json<SlaPolicy>> {
    require(&auth, Role::Admin)?;
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
        audit::actor_of(&auth.0),
        "sla.policy",
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
    auth: AgentAuth,
) -> ApiResult<Json<CalendarList>> {
    require(&auth, Role::Supervisor)?;
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
    auth: AgentAuth,
    Path(name): Path<String>,
    Json(spec): Json<CalendarSpec>,
) -> ApiResult<Json<CalendarSpec>> {
    require(&auth, Role::Admin)?;
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
        audit::actor_of(&auth.0),
        "sla.calendar",
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
    auth: AgentAuth,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    require(&auth, Role::Admin)?;
    let name = calendar_name(&name).map_err(|_| ApiError::NotFound)?;
    if state.sla.policy().calendar.as_deref() == Some(name.as_str()) {
        return Err(ApiError::Conflict(
            "the SLA policy uses this calendar".into(),
        ));
    }
    state.store.delete_calendar(&name).await?;
    audit::record(
        state.store.as_ref(),
        audit::actor_of(&auth.0),
        "sla.calendar.delete",
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
    auth: AgentAuth,
    Json(req): Json<Advance>,
) -> ApiResult<Json<ClockNow>> {
    if !state.config.clock.manual_control {
        return Err(ApiError::NotFound);
    }
    require(&auth, Role::Admin)?;
    if !(1..=366 * 24 * 3_600_000).contains(&req.ms) {
        return Err(ApiError::BadRequest(
            "ms must be between 1 and a year".into(),
        ));
    }
    let now = state.clock.advance(req.ms);
    audit::record(
        state.store.as_ref(),
        audit::actor_of(&auth.0),
        "clock.advance",
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
