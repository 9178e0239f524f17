//! The one error type of the HTTP API. Every error body has a stable
//! machine-readable `code` and a message safe to show; internal details go
//! to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use trustdesk_core::validate::InvalidInput;
use trustdesk_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is too large")]
    TooLarge,
    #[error("too many requests; please wait a minute")]
    RateLimited,
    /// The server is past what it can serve; nothing was stored, retry
    /// after `retry_after_ms`.
    #[error("the service is busy; please retry shortly")]
    Overloaded { retry_after_ms: u32 },
    /// A file of a kind trustdesk does not accept.
    #[error("{0}")]
    UnsupportedType(String),
    /// Refused by a safety rule (e.g. the outbound guard).
    #[error("{0}")]
    Blocked(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict(_) => "conflict",
            Self::TooLarge => "too_large",
            Self::Blocked(_) => "blocked",
            Self::RateLimited => "rate_limited",
            Self::Overloaded { .. } => "overloaded",
            Self::UnsupportedType(_) => "unsupported_type",
            Self::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Blocked(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited | Self::Overloaded { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// How long the client should wait before retrying, when it should.
    pub fn retry_after_ms(&self) -> Option<u32> {
        match self {
            Self::Overloaded { retry_after_ms } => Some(*retry_after_ms),
            _ => None,
        }
    }

    /// The message a client may see. Internal errors say nothing more.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
                "something went wrong on our side; please retry".into()
            }
            other => other.to_string(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: bad_request, unauthorized, forbidden,
    /// not_found, conflict, too_large, blocked, rate_limited, overloaded,
    /// internal.
    pub code: &'static str,
    pub message: String,
    /// With `overloaded`: how long to wait before retrying (also in the
    /// `Retry-After` header, in seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u32>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after_ms = self.retry_after_ms();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                retry_after_ms,
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(ms) = retry_after_ms {
            let secs = ms.div_ceil(1000).max(1);
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(why) => Self::Conflict(why.into()),
            StoreError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<InvalidInput> for ApiError {
    fn from(err: InvalidInput) -> Self {
        Self::BadRequest(err.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
