//! `POST /v1/channels/telegram/webhook`: Telegram delivers updates here in
//! webhook mode. Telegram proves itself with the secret we gave
//! `setWebhook`, sent back in `X-Telegram-Bot-Api-Secret-Token`; it is
//! compared in constant time (`auth::shared_secret`). Anything else is 401
//! before the body is read.
//!
//! The update is stored before we answer 200 — Telegram delivers again on
//! an error, and the inbox drops the repeat by its update id — but an
//! answer never waits long: a slow file download goes on in the
//! background after a 200 instead of making Telegram time out and resend.

use super::updates::UpdateHandler;
use crate::auth::shared_secret::SharedSecret;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::Arc;
use std::time::Duration;

pub const PATH: &str = "/v1/channels/telegram/webhook";
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Longest an answer waits for the update to be stored.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

pub struct Webhook {
    secret: SecretCheck,
    handler: Arc<UpdateHandler>,
}

impl Webhook {
    pub fn new(secret: &str, handler: Arc<UpdateHandler>) -> Self {
        Self {
            secret: SecretCheck::new(secret),
            handler,
        }
    }
}

/// Telegram's secret header, checked against the configured secret.
pub struct SecretCheck(SharedSecret);

impl SecretCheck {
    pub fn new(secret: &str) -> Self {
        Self(SharedSecret::new(secret))
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        headers
            .get(SECRET_HEADER)
            .is_some_and(|given| self.0.matches(given.as_bytes()))
    }
}

/// The route; it answers 404 unless webhook mode is configured.
pub fn router(hook: Option<Arc<Webhook>>) -> Router<AppState> {
    Router::new().route(
        PATH,
        post(move |headers: HeaderMap, body: Bytes| receive(hook.clone(), headers, body)),
    )
}

/// Receives one Telegram update (webhook mode).
#[utoipa::path(post, path = "/v1/channels/telegram/webhook", tag = "channels",
    params(("X-Telegram-Bot-Api-Secret-Token" = String, Header, description = "the webhook secret")),
    request_body(content = Object, description = "a Telegram Update"),
    responses((status = 200, description = "taken"), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn receive(
    hook: Option<Arc<Webhook>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let Some(hook) = hook else {
        return Err(ApiError::NotFound);
    };
    if !hook.secret.admits(&headers) {
        return Err(ApiError::Unauthorized);
    }
    let Ok(update) = serde_json::from_slice::<serde_json::Value>(&body) else {
        // Telegram would resend a refused update forever: take it as done.
        tracing::info!("a Telegram webhook body that is not JSON was skipped");
        return Ok(StatusCode::OK);
    };
    let handler = hook.handler.clone();
    let job = tokio::spawn(async move { handler.handle(&update).await });
    match tokio::time::timeout(ANSWER_WITHIN, job).await {
        Ok(Ok(Ok(_))) => Ok(StatusCode::OK),
        Ok(Ok(Err(not_yet))) => {
            tracing::warn!(error = %not_yet, "a Telegram update was not stored; Telegram will resend it");
            Err(ApiError::Internal("telegram update not stored yet".into()))
        }
        Ok(Err(_)) => Err(ApiError::Internal("telegram update handler failed".into())),
        // Still working (a large file): it finishes on its own.
        Err(_) => Ok(StatusCode::OK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_is_admitted() {
        let check = SecretCheck::new("s3cret_-X");
        let admits = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = value {
                headers.insert(SECRET_HEADER, v.parse().unwrap());
            }
            check.admits(&headers)
        };
        assert!(admits(Some("s3cret_-X")));
        for wrong in [
            Some("s3cret_-x"),
            Some("s3cret_-X "),
            Some(""),
            Some("s3cret"),
            None,
        ] {
            assert!(!admits(wrong), "{wrong:?}");
        }
    }
}
