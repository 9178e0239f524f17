//! Text analysis endpoints: triage and the secret guard, for the widget
//! (warn before sending), the console and the exchange's backend.

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::state::AppState;
use axum::Router;
use axum::routing::post;
use serde::Deserialize;
use trustdesk_core::guard::GuardResult;
use trustdesk_core::triage::Triage;

/// Longest text these endpoints analyse, in characters.
const MAX_TEXT_CHARS: usize = 20_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/triage/classify", post(classify))
        .route("/v1/guard/scan", post(scan))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    text: String,
}

fn bounded(input: &TextInput) -> ApiResult<&str> {
    if input.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::BadRequest(format!(
            "text is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(&input.text)
}

/// Classifies a request: category, language, priority, urgent, confidence.
#[utoipa::path(post, path = "/v1/triage/classify", tag = "analysis", security(("bearer" = [])), request_body = TextInput,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
async fn classify(
    _auth: Authenticated,
    Json(input): Json<TextInput>,
) -> ApiResult<axum::Json<Triage>> {
    Ok(axum::Json(trustdesk_core::triage::classify(bounded(
        &input,
    )?)))
}

/// Finds secrets (seed phrases, private keys, card numbers, 2FA codes,
/// passwords) and returns the findings and the redacted text.
#[utoipa::path(post, path = "/v1/guard/scan", tag = "analysis", security(("bearer" = [])), request_body = TextInput,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
async fn scan(
    _auth: Authenticated,
    Json(input): Json<TextInput>,
) -> ApiResult<axum::Json<GuardResult>> {
    Ok(axum::Json(trustdesk_core::guard::guard(bounded(&input)?)))
}
