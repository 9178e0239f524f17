//! "Is this official?": the public lookup of the official-channel registry,
//! the admin API that maintains it, and the "report a fake" entry point.

use crate::auth::{AdminAuth, CustomerAuth};
use crate::conversations::Opening;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::http::ratelimit::ClientIp;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;
use trustdesk_core::registry::{self, ChannelKind};
use trustdesk_core::{AgentStatus, ChannelId, validate};
use trustdesk_store::OfficialChannel;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/verify", get(lookup))
        .route("/v1/verify/report", post(report))
        .route("/v1/admin/registry", get(list).post(add))
        .route("/v1/admin/registry/{id}", delete(remove))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// What to check: a web address, email, Telegram handle, phone number,
    /// social profile or agent badge.
    value: String,
    /// `domain`, `email`, `telegram`, `phone`, `social` or `agent_id`;
    /// guessed from the value when absent.
    kind: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Verdict {
    /// True only for an exact match with the registry (or an active agent's
    /// badge). Anything else is not verified: treat it as a fake.
    verified: bool,
    kind: String,
    /// The value as checked, normalised.
    value: String,
    /// What the official channel is ("Main website", an agent's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    /// The official domain this one imitates, when it looks like one.
    #[serde(skip_serializing_if = "Option::is_none")]
    lookalike_of: Option<String>,
}

/// Checks whether a channel is official. Rate-limited per client address.
#[utoipa::path(get, path = "/v1/verify", tag = "trust", params(LookupQuery),
    responses((status = 200, body = Verdict), (status = 400, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn lookup(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<Verdict>> {
    if !state.verify_limiter.allow(client).await {
        return Err(ApiError::RateLimited);
    }
    let kind = match q.kind.as_deref() {
        Some(k) => k
            .parse::<ChannelKind>()
            .map_err(|_| ApiError::BadRequest(format!("unknown kind {k:?}")))?,
        None => registry::detect_kind(&q.value),
    };
    let value = registry::normalize(kind, &q.value).map_err(|e| ApiError::BadRequest(e.into()))?;
    let channels = state.store.list_channels().await?;
    let exact = channels.iter().find(|c| c.kind == kind && c.value == value);
    let mut verdict = Verdict {
        verified: false,
        kind: kind.to_string(),
        value: value.clone(),
        label: None,
        lookalike_of: None,
    };
    if let Some(c) = exact {
        verdict.verified = true;
        verdict.label = Some(c.label.clone());
    } else if kind == ChannelKind::AgentId {
        if let Some(agent) = state.store.agent_by_badge(&value).await?
            && agent.status == AgentStatus::Active
        {
            verdict.verified = true;
            verdict.label = Some(agent.display_name);
        }
    } else if matches!(
        kind,
        ChannelKind::Domain | ChannelKind::Email | ChannelKind::Social
    ) {
        let official: Vec<String> = channels
            .iter()
            .filter(|c| c.kind == ChannelKind::Domain)
            .map(|c| c.value.clone())
            .collect();
        let host = match kind {
            ChannelKind::Email => value
                .rsplit_once('@')
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default(),
            _ => value.split('/').next().unwrap_or_default().to_owned(),
        };
        verdict.lookalike_of = registry::lookalike_of(&host, &official).map(str::to_owned);
    }
    Ok(Json(verdict))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The suspicious channel (address, handle, number…).
    value: String,
    /// What happened, in the customer's words.
    details: Option<String>,
}

/// Reports a fake channel: opens a security conversation for the customer.
#[utoipa::path(post, path = "/v1/verify/report", tag = "trust", security(("bearer" = [])), request_body = Report,
    responses((status = 201, body = crate::conversations::views::Created), (status = 400, body = crate::error::ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Json(req): Json<Report>,
) -> ApiResult<(StatusCode, Json<crate::conversations::views::Created>)> {
    let customer = auth.customer_id().ok_or(ApiError::Unauthorized)?;
    let value = validate::subject(&req.value)?;
    let details = req.details.as_deref().map(validate::body).transpose()?;
    let body = match details {
        Some(d) => format!("Report of a possible fake channel (phishing / scam): {value}\n\n{d}"),
        None => format!("Report of a possible fake channel (phishing / scam): {value}"),
    };
    let opening = Opening {
        subject: Some(format!("Fake channel report: {value}")),
        body: Some(body),
        ..Default::default()
    };
    let created = state.conversations.open(customer, opening).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registry {
    #[schema(value_type = Vec<Object>)]
    channels: Vec<OfficialChannel>,
}

/// The registry (admins).
#[utoipa::path(get, path = "/v1/admin/registry", tag = "trust", security(("bearer" = [])), responses((status = 200, body = Registry), (status = 403, body = crate::error::ErrorBody)))]
async fn list(State(state): State<AppState>, _auth: AdminAuth) -> ApiResult<Json<Registry>> {
    Ok(Json(Registry {
        channels: state.store.list_channels().await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    /// `domain`, `email`, `telegram`, `phone`, `social` or `agent_id`.
    kind: String,
    value: String,
    label: String,
}

/// Adds an official channel (admins).
#[utoipa::path(post, path = "/v1/admin/registry", tag = "trust", security(("bearer" = [])), request_body = NewChannel,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn add(
    State(state): State<AppState>,
    auth: AdminAuth,
    Json(req): Json<NewChannel>,
) -> ApiResult<(StatusCode, Json<OfficialChannel>)> {
    let kind: ChannelKind = req
        .kind
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("unknown kind {:?}", req.kind)))?;
    let value =
        registry::normalize(kind, &req.value).map_err(|e| ApiError::BadRequest(e.into()))?;
    let label = validate::name(&req.label)?;
    let channel = OfficialChannel {
        id: ChannelId::new(),
        kind,
        value,
        label,
        created_at: state.clock.now(),
    };
    state.store.add_channel(&channel).await?;
    tracing::info!(agent = %auth.agent().id, kind = %channel.kind, "official channel added");
    let detail =
        serde_json::json!({ "kind": channel.kind, "value": channel.value, "label": channel.label });
    crate::accounts::audit::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::accounts::audit::actor_of(&auth.0),
        AuditAction::RegistryAdded,
        channel.id.to_string(),
        detail,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(channel)))
}

/// Removes an official channel (admins).
#[utoipa::path(delete, path = "/v1/admin/registry/{id}", tag = "trust", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: ChannelId = id.parse().map_err(|_| ApiError::NotFound)?;
    state.store.delete_channel(id).await?;
    tracing::info!(agent = %auth.agent().id, "official channel removed");
    crate::accounts::audit::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::accounts::audit::actor_of(&auth.0),
        AuditAction::RegistryRemoved,
        id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
