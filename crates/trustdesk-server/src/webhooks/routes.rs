//! The admin API of webhooks (admins only): endpoints, their secrets and
//! the delivery log. Every change is written to the audit log (never a
//! secret).

use super::endpoints::{self, check_description, check_event_types, check_url};
use super::sender::Sender;
use crate::accounts::audit::{actor_of, record};
use crate::auth::AdminAuth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;
use trustdesk_core::webhook::events::{EventType, rfc3339};
use trustdesk_core::{Timestamp, WebhookDeliveryId, WebhookEndpointId};
use trustdesk_store::{WebhookAttempt, WebhookDelivery, WebhookEndpoint};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/webhooks", get(list).post(create))
        .route("/v1/admin/webhooks/event-types", get(event_types))
        .route(
            "/v1/admin/webhooks/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/v1/admin/webhooks/{id}/rotate", post(rotate))
        .route("/v1/admin/webhooks/{id}/enable", post(enable))
        .route("/v1/admin/webhooks/{id}/deliveries", get(deliveries))
        .route("/v1/admin/webhooks/deliveries/{id}/replay", post(replay))
}

/// Path ids parsed once: a malformed one is `404` like a missing one.
pub struct IdPath<T>(pub T);

impl<S: Send + Sync, T: std::str::FromStr> FromRequestParts<S> for IdPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        raw.parse().map(Self).map_err(|_| ApiError::NotFound)
    }
}

/// An endpoint as admins see it: never its secret (shown once, on
/// creation and rotation).
#[derive(Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    #[schema(value_type = String)]
    id: WebhookEndpointId,
    url: String,
    description: String,
    event_types: Vec<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    /// Until when the previous secret still signs, after a rotation.
    previous_secret_expires_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl EndpointView {
    fn of(e: &WebhookEndpoint, now: Timestamp) -> Self {
        Self {
            id: e.id,
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: e
                .event_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            previous_secret_expires_at: e
                .previous_secret_expires_at
                .filter(|until| now < *until)
                .map(rfc3339),
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
        }
    }
}

/// An endpoint with its secret: the one time it is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EndpointWithSecret {
    endpoint: EndpointView,
    /// `whsec_…`: store it now, it is not shown again.
    secret: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EndpointList {
    endpoints: Vec<EndpointView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// http(s); must not resolve to an internal address (unless
    /// `[webhooks] allow_cidrs` allows it).
    url: String,
    description: Option<String>,
    /// E.g. `["conversation.created", "message.created"]`.
    event_types: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointChange {
    url: Option<String>,
    description: Option<String>,
    event_types: Option<Vec<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    attempt: u32,
    at: String,
    status_code: Option<u16>,
    error: Option<String>,
    duration_ms: i64,
}

impl From<&WebhookAttempt> for AttemptView {
    fn from(a: &WebhookAttempt) -> Self {
        Self {
            attempt: a.attempt,
            at: rfc3339(a.at),
            status_code: a.status_code,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    #[schema(value_type = String)]
    id: WebhookDeliveryId,
    /// The `webhook-id` header every attempt carried.
    webhook_id: String,
    #[schema(value_type = String)]
    endpoint_id: WebhookEndpointId,
    event_type: String,
    /// `pending`, `delivered` or `failed`.
    status: String,
    attempts: u32,
    next_attempt_at: Option<String>,
    last_status_code: Option<u16>,
    last_error: Option<String>,
    created_at: String,
    delivered_at: Option<String>,
    /// The JSON body as sent.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    attempt_log: Vec<AttemptView>,
}

impl DeliveryView {
    fn of(d: &WebhookDelivery, attempts: &[WebhookAttempt]) -> Self {
        let pending = d.status == trustdesk_store::DeliveryStatus::Pending;
        Self {
            id: d.id,
            webhook_id: super::worker::message_id(d.id),
            endpoint_id: d.endpoint_id,
            event_type: d.event_type.as_str().into(),
            status: d.status.as_str().into(),
            attempts: d.attempts,
            next_attempt_at: pending.then(|| rfc3339(d.next_attempt_at)),
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
            created_at: rfc3339(d.created_at),
            delivered_at: d.delivered_at.map(rfc3339),
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            attempt_log: attempts.iter().map(AttemptView::from).collect(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    deliveries: Vec<DeliveryView>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// At most this many, newest first (default 50, at most 200).
    limit: Option<u32>,
}

fn sender(state: &AppState) -> Sender {
    Sender::from_config(&state.config.webhooks)
}

async fn audit(
    state: &AppState,
    auth: &AdminAuth,
    action: AuditAction,
    subject: String,
    detail: serde_json::Value,
) -> ApiResult<()> {
    record(
        state.store.as_ref(),
        state.clock.now(),
        actor_of(&auth.0),
        action,
        subject,
        detail,
    )
    .await
}

fn names(types: &[EventType]) -> Vec<&'static str> {
    types.iter().map(|t| t.as_str()).collect()
}

/// The event types an endpoint can subscribe to.
#[utoipa::path(get, path = "/v1/admin/webhooks/event-types", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<String>), (status = 403, body = crate::error::ErrorBody)))]
async fn event_types(_auth: AdminAuth) -> Json<Vec<&'static str>> {
    Json(names(EventType::ALL))
}

/// Webhook endpoints (admins).
#[utoipa::path(get, path = "/v1/admin/webhooks", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = EndpointList), (status = 403, body = crate::error::ErrorBody)))]
async fn list(State(state): State<AppState>, _auth: AdminAuth) -> ApiResult<Json<EndpointList>> {
    let now = state.clock.now();
    let endpoints = state.store.list_webhook_endpoints().await?;
    Ok(Json(EndpointList {
        endpoints: endpoints.iter().map(|e| EndpointView::of(e, now)).collect(),
    }))
}

/// One endpoint (admins).
#[utoipa::path(get, path = "/v1/admin/webhooks/{id}", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = EndpointView), (status = 404, body = crate::error::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    _auth: AdminAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
) -> ApiResult<Json<EndpointView>> {
    let endpoint = state.store.get_webhook_endpoint(id).await?;
    Ok(Json(EndpointView::of(&endpoint, state.clock.now())))
}

/// Registers an endpoint; its secret is in the answer, once.
#[utoipa::path(post, path = "/v1/admin/webhooks", tag = "admin", security(("bearer" = [])), request_body = NewEndpoint,
    responses((status = 201, body = EndpointWithSecret), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    auth: AdminAuth,
    Json(req): Json<NewEndpoint>,
) -> ApiResult<(StatusCode, Json<EndpointWithSecret>)> {
    let event_types = check_event_types(&req.event_types)?;
    let description = check_description(req.description.as_deref())?;
    let url = check_url(&sender(&state), &req.url).await?;
    let now = state.clock.now();
    let endpoint = endpoints::new_endpoint(url, description, event_types, now);
    state.store.create_webhook_endpoint(&endpoint).await?;
    state.webhooks.endpoints_changed();
    audit(
        &state,
        &auth,
        AuditAction::WebhookEndpointCreated,
        endpoint.id.to_string(),
        serde_json::json!({ "url": endpoint.url, "event_types": names(&endpoint.event_types) }),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(EndpointWithSecret {
            endpoint: EndpointView::of(&endpoint, now),
            secret: endpoint.secret,
        }),
    ))
}

/// Changes an endpoint's URL, description or subscriptions.
#[utoipa::path(patch, path = "/v1/admin/webhooks/{id}", tag = "admin", security(("bearer" = [])), request_body = EndpointChange,
    responses((status = 200, body = EndpointView), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    auth: AdminAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
    Json(req): Json<EndpointChange>,
) -> ApiResult<Json<EndpointView>> {
    let mut endpoint = state.store.get_webhook_endpoint(id).await?;
    if let Some(url) = &req.url {
        endpoint.url = check_url(&sender(&state), url).await?;
    }
    if let Some(description) = &req.description {
        endpoint.description = check_description(Some(description))?;
    }
    if let Some(types) = &req.event_types {
        endpoint.event_types = check_event_types(types)?;
    }
    let now = state.clock.now();
    endpoint.updated_at = now;
    state.store.update_webhook_endpoint(&endpoint).await?;
    state.webhooks.endpoints_changed();
    audit(
        &state,
        &auth,
        AuditAction::WebhookEndpointUpdated,
        id.to_string(),
        serde_json::json!({ "url": endpoint.url, "event_types": names(&endpoint.event_types) }),
    )
    .await?;
    Ok(Json(EndpointView::of(&endpoint, now)))
}

/// Removes an endpoint with its delivery log.
#[utoipa::path(delete, path = "/v1/admin/webhooks/{id}", tag = "admin", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    auth: AdminAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
) -> ApiResult<StatusCode> {
    let endpoint = state.store.get_webhook_endpoint(id).await?;
    state.store.delete_webhook_endpoint(id).await?;
    state.webhooks.endpoints_changed();
    audit(
        &state,
        &auth,
        AuditAction::WebhookEndpointDeleted,
        id.to_string(),
        serde_json::json!({ "url": endpoint.url }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret, shown once; the previous one still signs (as a second
/// signature) for 24 hours.
#[utoipa::path(post, path = "/v1/admin/webhooks/{id}/rotate", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = EndpointWithSecret), (status = 404, body = crate::error::ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    auth: AdminAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
) -> ApiResult<Json<EndpointWithSecret>> {
    let mut endpoint = state.store.get_webhook_endpoint(id).await?;
    let now = state.clock.now();
    endpoints::rotate(&mut endpoint, now);
    state.store.update_webhook_endpoint(&endpoint).await?;
    state.webhooks.endpoints_changed();
    audit(
        &state,
        &auth,
        AuditAction::WebhookSecretRotated,
        id.to_string(),
        serde_json::json!({
            "previous_secret_expires_at": endpoint.previous_secret_expires_at.map(rfc3339),
        }),
    )
    .await?;
    Ok(Json(EndpointWithSecret {
        endpoint: EndpointView::of(&endpoint, now),
        secret: endpoint.secret,
    }))
}

/// Enables a disabled endpoint again (its URL is checked again first).
/// Deliveries failed while it was disabled stay failed; replay them.
#[utoipa::path(post, path = "/v1/admin/webhooks/{id}/enable", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = EndpointView), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn enable(
    State(state): State<AppState>,
    auth: AdminAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
) -> ApiResult<Json<EndpointView>> {
    let mut endpoint = state.store.get_webhook_endpoint(id).await?;
    check_url(&sender(&state), &endpoint.url).await?;
    let now = state.clock.now();
    let reason = endpoint.disabled_reason.take();
    endpoint.enabled = true;
    endpoint.updated_at = now;
    state.store.update_webhook_endpoint(&endpoint).await?;
    state.webhooks.endpoints_changed();
    audit(
        &state,
        &auth,
        AuditAction::WebhookEndpointEnabled,
        id.to_string(),
        serde_json::json!({ "was_disabled_because": reason }),
    )
    .await?;
    Ok(Json(EndpointView::of(&endpoint, now)))
}

/// The delivery log of an endpoint: deliveries, newest first, each with
/// its attempts.
#[utoipa::path(get, path = "/v1/admin/webhooks/{id}/deliveries", tag = "admin", security(("bearer" = [])), params(DeliveryQuery),
    responses((status = 200, body = DeliveryList), (status = 404, body = crate::error::ErrorBody)))]
async fn deliveries(
    State(state): State<AppState>,
    _auth: AdminAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<DeliveryList>> {
    state.store.get_webhook_endpoint(id).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let list = state.store.list_webhook_deliveries(Some(id), limit).await?;
    let mut deliveries = Vec::with_capacity(list.len());
    for d in &list {
        let attempts = state.store.webhook_attempts(d.id).await?;
        deliveries.push(DeliveryView::of(d, &attempts));
    }
    Ok(Json(DeliveryList { deliveries }))
}

/// Sends a delivery again now (whatever its state), as the same message
/// (same `webhook-id`).
#[utoipa::path(post, path = "/v1/admin/webhooks/deliveries/{id}/replay", tag = "admin", security(("bearer" = [])),
    responses((status = 202, body = DeliveryView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn replay(
    State(state): State<AppState>,
    auth: AdminAuth,
    IdPath(id): IdPath<WebhookDeliveryId>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    let delivery = state.store.get_webhook_delivery(id).await?;
    let endpoint = state
        .store
        .get_webhook_endpoint(delivery.endpoint_id)
        .await?;
    if !endpoint.enabled {
        return Err(ApiError::Conflict(
            "the endpoint is disabled: enable it first".into(),
        ));
    }
    state
        .store
        .replay_webhook_delivery(id, state.clock.now())
        .await?;
    state.webhooks.kick();
    audit(
        &state,
        &auth,
        AuditAction::WebhookDeliveryReplayed,
        id.to_string(),
        serde_json::json!({ "endpoint_id": delivery.endpoint_id, "event_type": delivery.event_type.as_str() }),
    )
    .await?;
    let delivery = state.store.get_webhook_delivery(id).await?;
    let attempts = state.store.webhook_attempts(id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DeliveryView::of(&delivery, &attempts)),
    ))
}
