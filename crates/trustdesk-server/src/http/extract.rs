//! Request extractors whose rejections are `ApiError`s, so a malformed
//! body or query gets the same JSON error shape as everything else.

use crate::error::ApiError;
use axum::extract::Path;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use trustdesk_core::ConversationId;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::TooLarge;
        }
        ApiError::BadRequest(screened(&rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(screened(&rejection.body_text()))
    }
}

/// A parser's complaint quotes the value it refused ("unknown variant
/// `…`"): what the customer typed goes back through the guard first, so a
/// seed phrase in the wrong field is not echoed into a response or a log.
pub fn screened(message: &str) -> String {
    trustdesk_core::guard::GuardedText::screen(message)
        .text
        .into_string()
}

/// Extractor: the conversation id of a `/…/conversations/{id}/…` route. A
/// malformed id is `NotFound`, exactly like a well-formed id that does not
/// exist or is not yours, so the answer never tells them apart.
pub struct ConversationPath(pub ConversationId);

impl<S: Send + Sync> FromRequestParts<S> for ConversationPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        raw.parse().map(Self).map_err(|_| ApiError::NotFound)
    }
}
