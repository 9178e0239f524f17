//! One signed attempt to deliver a webhook: the Standard Webhooks headers,
//! the SSRF check, a connection pinned to the checked address, no
//! redirects, a deadline. Retrying is the caller's business (the outbox
//! worker, the freeze lane).

use super::ssrf::{self, AllowList, TargetError};
use crate::config::WebhooksConfig;
use std::time::{Duration, SystemTime};
use trustdesk_core::webhook::{SigningKey, signature_header};

/// What the receiver answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Its `Retry-After`, in milliseconds from now, when it sent one with a
    /// 429 or 503.
    pub retry_after_ms: Option<i64>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no answer came. The texts are safe to show an admin (the delivery
/// log) and never carry the receiver's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Refused(#[from] TargetError),
    #[error("timed out")]
    Timeout,
    #[error("connection failed")]
    Connection,
}

/// A signed message ready to send.
pub struct Message<'a> {
    pub url: &'a str,
    /// The `webhook-id`: the same on every attempt of one message.
    pub id: &'a str,
    pub body: &'a [u8],
    /// Current secret first, then the previous one during a rotation.
    pub keys: &'a [SigningKey],
}

#[derive(Clone, Debug)]
pub struct Sender {
    allow: AllowList,
    timeout: Duration,
}

impl Sender {
    pub fn new(allow: AllowList, timeout: Duration) -> Self {
        Self { allow, timeout }
    }

    pub fn from_config(config: &WebhooksConfig) -> Self {
        Self::new(
            AllowList::new(config.allow_cidrs.clone()),
            Duration::from_millis(config.timeout_ms.clamp(100, 30_000)),
        )
    }

    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// One attempt.
    pub async fn send(&self, message: &Message<'_>) -> Result<Answer, SendError> {
        let url = ssrf::parse_url(message.url)?;
        let target = ssrf::checked_target(&url, &self.allow).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .resolve(&target.host, target.addr)
            .build()
            .map_err(|_| SendError::Connection)?;
        // The wall clock on purpose, not the server clock: the receiver
        // checks this signed timestamp against its own clock.
        let timestamp = trustdesk_core::Timestamp::now().as_millis() / 1000;
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "trustdesk-webhooks")
            .header("webhook-id", message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature_header(message.keys, message.id, timestamp, message.body),
            )
            .body(message.body.to_vec())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    SendError::Timeout
                } else {
                    SendError::Connection
                }
            })?;
        let status = response.status().as_u16();
        let retry_after_ms = if matches!(status, 429 | 503) {
            response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after_ms(v, SystemTime::now()))
        } else {
            None
        };
        Ok(Answer {
            status,
            retry_after_ms,
        })
    }
}

/// A `Retry-After` value (delay in seconds, or an HTTP date) as
/// milliseconds from `now`; a date in the past is zero.
pub fn retry_after_ms(value: &str, now: SystemTime) -> Option<i64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(
            i64::try_from(secs)
                .unwrap_or(i64::MAX / 1000)
                .saturating_mul(1000),
        );
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let wait = at.duration_since(now).unwrap_or_default();
    Some(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(retry_after_ms("120", now), Some(120_000));
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(120_000)
        );
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_ms("soon", now), None);
        assert_eq!(retry_after_ms("-5", now), None);
        assert!(retry_after_ms("99999999999999999999", now).is_none());
        assert!(retry_after_ms("18446744073709551615", now).unwrap() > 0);
    }
}
