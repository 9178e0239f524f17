//! The rules of a webhook endpoint, whoever saves it: the URL is checked
//! at save time as it will be at send time (so an admin learns at once
//! that `http://169.254.169.254/` will never be called), the event types
//! are known ones, and secrets are drawn by the server and shown once.

use super::sender::Sender;
use super::ssrf;
use crate::error::{ApiError, ApiResult};
use trustdesk_core::Timestamp;
use trustdesk_core::webhook::SigningKey;
use trustdesk_core::webhook::events::EventType;
use trustdesk_store::WebhookEndpoint;

/// How long the previous secret still signs after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 60 * 60 * 1000;

const MAX_URL_CHARS: usize = 2_000;
const MAX_DESCRIPTION_CHARS: usize = 200;

/// A fresh `whsec_` secret: 32 random bytes.
pub fn generate_secret() -> String {
    SigningKey::from_bytes(rand::random::<[u8; 32]>().to_vec())
        .map(|k| k.to_secret())
        // 32 bytes is always a valid key length.
        .unwrap_or_default()
}

/// Checks a URL for saving: well formed, http(s), no credentials, and
/// every address its host resolves to allowed now.
pub async fn check_url(sender: &Sender, url: &str) -> ApiResult<String> {
    let url = url.trim();
    if url.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::BadRequest("the webhook URL is too long".into()));
    }
    let parsed = ssrf::parse_url(url).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    ssrf::checked_target(&parsed, sender.allow_list())
        .await
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(parsed.to_string())
}

pub fn check_description(description: Option<&str>) -> ApiResult<String> {
    let text = description.unwrap_or_default().trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the description is longer than {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "the description may not hold control characters".into(),
        ));
    }
    Ok(text.to_owned())
}

/// Known event types, without repeats, in the canonical order.
pub fn check_event_types(names: &[String]) -> ApiResult<Vec<EventType>> {
    if names.is_empty() {
        return Err(ApiError::BadRequest(
            "subscribe to at least one event type".into(),
        ));
    }
    let mut types = names
        .iter()
        .map(|n| {
            EventType::parse(n.trim())
                .ok_or_else(|| ApiError::BadRequest(format!("unknown event type {n:?}")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    types.sort();
    types.dedup();
    Ok(types)
}

/// A new, enabled endpoint with a fresh secret.
pub fn new_endpoint(
    url: String,
    description: String,
    event_types: Vec<EventType>,
    now: Timestamp,
) -> WebhookEndpoint {
    WebhookEndpoint {
        id: trustdesk_core::WebhookEndpointId::new(),
        url,
        description,
        event_types,
        secret: generate_secret(),
        previous_secret: None,
        previous_secret_expires_at: None,
        enabled: true,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    }
}

/// A new secret; the old one keeps signing (second signature) for a day so
/// the receiver can switch without dropping messages.
pub fn rotate(endpoint: &mut WebhookEndpoint, now: Timestamp) {
    let old = std::mem::replace(&mut endpoint.secret, generate_secret());
    endpoint.previous_secret = Some(old);
    endpoint.previous_secret_expires_at = Some(now.plus_millis(ROTATION_OVERLAP_MS));
    endpoint.updated_at = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_valid_keys() {
        let a = generate_secret();
        assert!(a.starts_with("whsec_"));
        assert!(SigningKey::parse(&a).is_ok());
        assert_ne!(a, generate_secret());
    }

    #[test]
    fn rotation_keeps_the_old_secret_for_a_day() {
        let mut e = new_endpoint(
            "https://x.example/".into(),
            String::new(),
            vec![EventType::MessageCreated],
            Timestamp(0),
        );
        let first = e.secret.clone();
        rotate(&mut e, Timestamp(1_000));
        assert_ne!(e.secret, first);
        assert_eq!(
            e.signing_secrets(Timestamp(2_000)),
            vec![e.secret.as_str(), first.as_str()]
        );
        assert_eq!(
            e.signing_secrets(Timestamp(1_000 + ROTATION_OVERLAP_MS)),
            vec![e.secret.as_str()]
        );
    }

    #[test]
    fn event_types_are_checked_and_deduplicated() {
        let types = check_event_types(&[
            "message.created".into(),
            "conversation.created".into(),
            "message.created".into(),
        ])
        .unwrap();
        assert_eq!(
            types,
            [EventType::ConversationCreated, EventType::MessageCreated]
        );
        assert!(check_event_types(&[]).is_err());
        assert!(check_event_types(&["message.deleted".into()]).is_err());
        assert!(check_description(Some(&"x".repeat(201))).is_err());
        assert!(check_description(Some("a\u{0007}b")).is_err());
    }
}
