//! `POST /v1/widget/feedback` (customers), `GET /v1/admin/feedback` and
//! its CSV export (supervisors).

use crate::auth::{CustomerAuth, SupervisorAuth};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::reports::Period;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use trustdesk_core::ConversationId;
use trustdesk_store::{Feedback, FeedbackKind, FeedbackSource};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/widget/feedback", post(send))
        .route("/v1/admin/feedback", get(list))
        .route("/v1/admin/feedback/export", get(export))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    /// `suggestion` or `complaint`.
    #[schema(value_type = String)]
    kind: FeedbackKind,
    /// At most 2,000 characters.
    body: String,
    /// The conversation it is about, if any (the customer's own).
    #[schema(value_type = Option<String>)]
    conversation_id: Option<ConversationId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedbackReceived {
    #[schema(value_type = String)]
    id: trustdesk_core::FeedbackId,
    /// The text as kept (a secret in it was removed).
    body: String,
}

/// Sends the product team a suggestion or a complaint.
#[utoipa::path(post, path = "/v1/widget/feedback", tag = "widget", security(("bearer" = [])), request_body = NewFeedback,
    responses((status = 201, body = FeedbackReceived), (status = 400, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    Json(req): Json<NewFeedback>,
) -> ApiResult<(StatusCode, Json<FeedbackReceived>)> {
    let Some(customer) = auth.customer_id() else {
        return Err(ApiError::NotFound);
    };
    if !state.feedback_limiter.allow(customer.to_string()).await {
        return Err(ApiError::RateLimited);
    }
    let language = match req.conversation_id {
        Some(id) => state.conversations.visible(&auth, id).await?.language,
        None => None,
    };
    let kept = super::record(
        &state,
        customer,
        req.kind,
        FeedbackSource::Widget,
        &req.body,
        req.conversation_id,
        language,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(FeedbackReceived {
            id: kept.id,
            body: kept.body.as_str().to_owned(),
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FeedbackQuery {
    /// `suggestion` or `complaint` (default both).
    kind: Option<String>,
    #[serde(flatten)]
    // `from`, `to`, `tz` as in reports (utoipa cannot flatten them here).
    #[param(ignore)]
    period: Period,
}

/// The most feedback one list or export holds.
const MAX_ROWS: u32 = 10_000;

async fn query(state: &AppState, q: FeedbackQuery) -> ApiResult<Vec<Feedback>> {
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some("suggestion") => Some(FeedbackKind::Suggestion),
        Some("complaint") => Some(FeedbackKind::Complaint),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "kind must be suggestion or complaint, not {other:?}"
            )));
        }
    };
    let window = q.period.window(state.clock.now())?;
    Ok(state
        .store
        .list_feedback(kind, window.from, window.to, MAX_ROWS)
        .await?)
}

/// Feedback in a period, newest first.
#[utoipa::path(get, path = "/v1/admin/feedback", tag = "reports", security(("bearer" = [])), params(FeedbackQuery),
    responses((status = 200, body = Vec<Object>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    Query(q): Query<FeedbackQuery>,
) -> ApiResult<Json<Vec<Feedback>>> {
    Ok(Json(query(&state, q).await?))
}

/// A spreadsheet cell that cannot run as a formula: text starting with
/// `=`, `+`, `-`, `@` (or a tab or return) gets a leading apostrophe.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// The same list as CSV.
#[utoipa::path(get, path = "/v1/admin/feedback/export", tag = "reports", security(("bearer" = [])), params(FeedbackQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv")))]
pub async fn export(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    Query(q): Query<FeedbackQuery>,
) -> ApiResult<Response> {
    let rows = query(&state, q).await?;
    let header_row = [
        "id",
        "created_at",
        "kind",
        "source",
        "language",
        "customer_id",
        "conversation_id",
        "body",
    ]
    .map(str::to_owned)
    .to_vec();
    let csv = crate::reports::csv::write(std::iter::once(header_row).chain(rows.iter().map(|f| {
        vec![
            f.id.to_string(),
            crate::reports::iso(f.created_at),
            f.kind.as_str().to_owned(),
            f.source.as_str().to_owned(),
            f.language
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            f.customer_id.to_string(),
            f.conversation_id.map(|c| c.to_string()).unwrap_or_default(),
            cell(f.body.as_str()),
        ]
    })))
    .map_err(|e| ApiError::Internal(format!("feedback export: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"feedback.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_never_starts_a_formula() {
        assert_eq!(super::cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::cell("+1"), "'+1");
        assert_eq!(super::cell("-1"), "'-1");
        assert_eq!(super::cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(super::cell("Add dark mode"), "Add dark mode");
    }
}
