//! Canned responses: saved replies agents insert with `/shortcut` in the
//! composer. Every agent reads them; supervisors and admins write them.
//! A canned response is checked by the outbound guard when saved, so a
//! template that asks for a seed phrase never reaches the composer (the
//! guard checks the sent message again anyway).

use crate::auth::{AgentAuth, SupervisorAuth};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::state::AppState;
use crate::trust::guard;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde::Deserialize;
use trustdesk_core::{CannedId, Language, Timestamp, validate};
use trustdesk_store::{CannedResponse, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agent/canned", get(list).post(create))
        .route("/v1/agent/canned/{id}", put(update).delete(remove))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedInput {
    /// 1–32 of `a-z 0-9 -`, e.g. `withdrawal-delay`.
    shortcut: String,
    title: String,
    /// May use `{{customer.name}}` and `{{agent.name}}`.
    body: String,
    #[schema(value_type = Option<String>, example = "zh")]
    locale: Option<Language>,
}

fn check_shortcut(s: &str) -> ApiResult<String> {
    let s = s.trim().trim_start_matches('/').to_lowercase();
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(ApiError::BadRequest(
            "shortcut must be 1 to 32 of a-z, 0-9 and -".into(),
        ));
    }
    Ok(s)
}

fn build(
    auth: &SupervisorAuth,
    id: CannedId,
    input: CannedInput,
    created_at: Timestamp,
    now: Timestamp,
) -> ApiResult<CannedResponse> {
    let body = validate::body(&input.body)?;
    guard::check_outbound_text(&body)?;
    Ok(CannedResponse {
        id,
        shortcut: check_shortcut(&input.shortcut)?,
        title: validate::subject(&input.title)?,
        body,
        locale: input.locale,
        created_by: Some(auth.agent().id),
        created_at,
        updated_at: now,
    })
}

fn shortcut_taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::Conflict("that shortcut is already used".into()),
        other => other.into(),
    }
}

/// Every canned response, by shortcut.
#[utoipa::path(get, path = "/v1/agent/canned", tag = "agent", security(("bearer" = [])), responses((status = 200, body = Object)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    _auth: AgentAuth,
) -> ApiResult<Json<Vec<CannedResponse>>> {
    Ok(Json(state.store.list_canned().await?))
}

/// Creates a canned response (supervisor or admin).
#[utoipa::path(post, path = "/v1/agent/canned", tag = "agent", security(("bearer" = [])), request_body = CannedInput,
    responses((status = 201, body = Object), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Json(input): Json<CannedInput>,
) -> ApiResult<(StatusCode, Json<CannedResponse>)> {
    let canned = build(
        &auth,
        CannedId::new(),
        input,
        state.clock.now(),
        state.clock.now(),
    )?;
    let saved = state
        .store
        .upsert_canned(&canned)
        .await
        .map_err(shortcut_taken)?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Replaces a canned response (supervisor or admin).
#[utoipa::path(put, path = "/v1/agent/canned/{id}", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)), request_body = CannedInput,
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Path(id): Path<String>,
    Json(input): Json<CannedInput>,
) -> ApiResult<Json<CannedResponse>> {
    let id: CannedId = id.parse().map_err(|_| ApiError::NotFound)?;
    let existing = state.store.get_canned(id).await?;
    let canned = build(&auth, id, input, existing.created_at, state.clock.now())?;
    let saved = state
        .store
        .upsert_canned(&canned)
        .await
        .map_err(shortcut_taken)?;
    Ok(Json(saved))
}

/// Deletes a canned response (supervisor or admin).
#[utoipa::path(delete, path = "/v1/agent/canned/{id}", tag = "agent", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: CannedId = id.parse().map_err(|_| ApiError::NotFound)?;
    state.store.delete_canned(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
